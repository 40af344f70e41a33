// Every preset keyrot ships, by the name a plan writes. A preset is data (preset.ts): adding a
// vendor is one file here and one line below.
import { cloudflare } from './cloudflare.js';
import { datadog } from './datadog.js';
import { openai } from './openai.js';
import type { Preset } from './preset.js';
import { sendgrid } from './sendgrid.js';
import { twilio } from './twilio.js';
import { vaultApprole } from './vault-approle.js';

export const PRESETS = {
  'vault-approle': vaultApprole,
  datadog,
  twilio,
  sendgrid,
  cloudflare,
  openai,
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as [PresetName, ...PresetName[]];
