// The V8 heap setting keyrot runs with: a young generation that does not grow. V8 doubles its young
// generation (up to 3 × 16 MB) when many objects survive a collection, which is what loading thousands
// of plans and their records looks like; a `keyrot status` over 10,000 plans then peaked at ~180 MB
// for ~30 MB of live data, and ~130 MB without the growth, for the same CPU time (issue 27, measured in
// bench/cronjob.mjs). V8 reads this flag each time it considers growing, so setting it at start-up
// takes effect; a V8 that ignored it would only use more memory.
import v8 from 'node:v8';

export function keepYoungGenerationSmall(): void {
  // Unless the user chose a young generation size themselves (NODE_OPTIONS or node's own flags).
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /semi[-_]space/.test(a));
  if (!chosen) v8.setFlagsFromString('--semi-space-growth-factor=1');
}
