// The V8 heap settings keyrot runs with, so its memory follows its live data (issue 27, measured in
// bench/cronjob.mjs over 10,000 plans, where ~30 MB is live at any time):
// - a young generation that does not grow. V8 doubles it (up to 3 × 16 MB) when many objects survive a
//   collection, which is what loading thousands of plans and their records looks like; `keyrot status`
//   then peaked at ~180 MB, ~130 MB without the growth, for the same CPU time.
// - an old generation allowed to grow by half its live size between two full collections. V8 picks up
//   to 4× when the program allocates fast, so a status or a first tick grew ~50 MB of garbage ahead of
//   its ~30 MB live before collecting: status peaked at 134-187 MB from one run to the next, 113-127
//   MB with the limit, the first tick of 10,000 Vault plans at 173 MB, 129 MB with it. The cost is a
//   few more full collections of ~30 MB each: ~0.1-0.3 s more CPU on a status over 10,000 plans, ~5%
//   on a first tick (9.45 s against 8.8-9.1 s over 1000 plans); 75% or 100% cost nothing measurable
//   there but left ~5-10 MB more, too close to the 150 MB of issue 27.
// V8 reads both each time it sizes the heap, so setting them at start-up takes effect; a V8 that
// ignored them would only use more memory.
import v8 from 'node:v8';

const SETTINGS: ReadonlyArray<{ flag: string; chosen: RegExp }> = [
  { flag: '--semi-space-growth-factor=1', chosen: /semi[-_]space/ },
  { flag: '--heap-growing-percent=50', chosen: /heap[-_]growing[-_]percent/ },
];

/** The settings to make: each one the user did not choose themselves (node's own flags, NODE_OPTIONS). */
export function heapFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  return SETTINGS.filter(({ chosen }) => !given.some((a) => chosen.test(a))).map(({ flag }) => flag);
}

export function keepHeapNearLiveData(): void {
  for (const flag of heapFlags(process.execArgv, process.env.NODE_OPTIONS)) v8.setFlagsFromString(flag);
}
