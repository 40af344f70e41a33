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
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

const SETTINGS: ReadonlyArray<{ flag: string; chosen: RegExp }> = [
  { flag: '--semi-space-growth-factor=1', chosen: /semi[-_]space/ },
  { flag: '--heap-growing-percent=50', chosen: /heap[-_]growing[-_]percent/ },
];

/** Whether the user set a V8 flag themselves (node's own flags, NODE_OPTIONS): keyrot then leaves it alone. */
export const userChose = (chosen: RegExp, execArgv: readonly string[], nodeOptions = ''): boolean =>
  [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => chosen.test(a));

/** The settings to make: each one the user did not choose themselves (node's own flags, NODE_OPTIONS). */
export function heapFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  return SETTINGS.filter(({ chosen }) => !userChose(chosen, execArgv, nodeOptions)).map(({ flag }) => flag);
}

export function keepHeapNearLiveData(): void {
  for (const flag of heapFlags(process.execArgv, process.env.NODE_OPTIONS)) v8.setFlagsFromString(flag);
}

// Rotations are another kind of work: `keyrot run` over 200 IAM plans allocates ~370 MB of short-lived
// objects (SDK requests and responses, records), and in a young generation held at V8's first 1 MB each
// of its ~460 scavenges copied the live objects of 16 rotations in flight: 0.5-1.2 s of pauses per 200
// rotations, 2-3 s per 1000 (--trace-gc), where the bare-SDK floor of bench/iam-floor.mjs (V8's own
// sizing) spends 0.15-0.25 s and 0.5 s. So once a run's plans are loaded (the live data the settings
// above are for), the young generation may grow to ROTATION_SEMI_SPACE_MB: at 8 MB, 70-125 scavenges and
// 0.3-0.4 s per 200 rotations, 2-5% less CPU, ~12 MB more peak RSS (4 MB: 130 scavenges, 0.47 s; V8's own
// 16 MB: ~30 MB more, 118 MB at 1000 plans, too close to that row's 120 MB). Only over a few thousand
// plans: the first tick over 10,000 peaked at 161 MB with it, 128 MB without, against 150 MB. V8 reads
// --max-semi-space-size once, at start-up, so growth is turned off after a collection that finds the
// young generation at that size, and on again below it.
export const ROTATION_SEMI_SPACE_MB = 8;
export const ROTATION_MAX_PLANS = 2_000;

/** The young generation's size in MB: one semi-space, what its objects are allocated in (used and still
 *  free). new_space's committed size also counts the other semi-space, when V8 has not let it go. */
function semiSpaceMb(): number {
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return young ? (young.space_used_size + young.space_available_size) / (1024 * 1024) : 0;
}

/** Let V8 grow the young generation (doubling it when many objects survive) up to `maxMb` (one semi-space), unless
 *  the user chose its size or growth themselves. */
export function letYoungGenerationGrow(maxMb: number): void {
  if (userChose(SETTINGS[0]!.chosen, process.execArgv, process.env.NODE_OPTIONS)) return;
  // Growth on while it is smaller (a semi-space holds a little less than its nominal size: page headers),
  // off once it is there. V8 may also halve it after a full collection while little is allocated (a run
  // waiting on the network), and it grows back. The observer hears of a collection on the event loop's
  // next turns: a run yields at every I/O.
  let growing = false;
  const fit = () => {
    if (growing === semiSpaceMb() < 0.9 * maxMb) return;
    growing = !growing;
    v8.setFlagsFromString(`--semi-space-growth-factor=${growing ? 2 : 1}`);
  };
  fit();
  new PerformanceObserver(fit).observe({ entryTypes: ['gc'] });
}

/** `keyrot run` over `plans` loaded plans: a young generation for rotations, if they are few enough. */
export function fitHeapToRun(plans: number): void {
  if (plans <= ROTATION_MAX_PLANS) letYoungGenerationGrow(ROTATION_SEMI_SPACE_MB);
}
