// What `keyrot init --issuer http --preset NAME` writes for the source: the preset, its example base
// URL and credential's usual home, each value it needs (an example, to be replaced), and the
// permissions its admin credential needs, with those example values filled in.
import { fillText } from '../template.js';
import { PRESETS, type PresetName } from './index.js';

const yamlValue = (v: unknown) => (typeof v === 'string' && /^[A-Za-z][\w./@:-]*$/.test(v) ? v : JSON.stringify(v));

export function presetSource(name: string): { lines: string[]; permissions: string[] } | undefined {
  const preset = PRESETS[name as PresetName];
  if (!preset) return undefined;
  const values = Object.fromEntries(Object.entries(preset.values).map(([k, v]) => [k, v.default ?? v.example]));
  const auth = JSON.stringify(preset.example.auth).replace(/"([^"]+)":/g, '$1: ').replace(/,/g, ', ').replace(/[{]/g, '{ ').replace(/[}]/g, ' }').replace(/"/g, '');
  return {
    lines: [
      '  type: http',
      `  preset: ${preset.name}             # ${preset.summary}`,
      `  baseUrl: ${preset.example.baseUrl}`,
      `  auth: ${auth}   # the admin credential, from the environment`,
      ...(Object.keys(preset.values).length ? ['  values:'] : []),
      ...Object.entries(preset.values).map(([k, v]) => `    ${k}: ${yamlValue(values[k])}   # ${v.describe}`),
    ],
    permissions: [`${preset.vendor} (${preset.docs}), the admin credential:`, ...preset.permissions.map((p) => `  ${fillText(p, values)}`)],
  };
}

export const PRESET_LIST = Object.keys(PRESETS).join(', ');
