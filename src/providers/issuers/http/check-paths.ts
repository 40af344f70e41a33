// Every JSON path of the plan parsed before the first call: a typo is a plan error (exit 2), not
// a failure halfway through a rotation.
import { checkPath } from './json-path.js';
import type { ResolvedHttp } from './resolve.js';

export function checkPaths(config: ResolvedHttp): void {
  const visit = (value: unknown, field: string) => {
    if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${field}[${i}]`));
    if (!value || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value)) {
      if (key === 'body' || key === 'query' || key === 'headers') continue; // templates, not paths
      const isPath = key.endsWith('Path') || key === 'path' || field.endsWith('.capture');
      if (typeof v === 'string' && isPath && v.startsWith('$')) checkPath(v, `${field}.${key}`);
      else visit(v, `${field}.${key}`);
    }
  };
  visit(config.calls, 'calls');
  checkPath(config.marker.path, 'marker.path');
}
