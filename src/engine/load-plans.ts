// Every command that takes plans loads them all first: one bad plan stops everything before any
// provider is called, with every problem listed.
import pLimit from 'p-limit';
import { readStdin } from '../bounded-read.js';
import { KeyrotError } from '../errors.js';
import { discoverPlanFiles } from '../plan/discover.js';
import { stateDirOf } from '../state/location.js';
import { defaultPlanCache, type PlanCache } from '../plan/cache.js';
import { loadPlan, MAX_PLAN_BYTES, type LoadedPlan } from '../plan/load.js';

const LOADS_AT_ONCE = 8;

/** `stdin`: an argument `-` is a plan read from standard input (shown as <stdin>); `cache`: plans
 *  validated before (plan/cache.ts), by default this user's cache in a bundled build. */
export async function loadPlans(args: string[], stateDir?: string, opts: { stdin?: boolean; cache?: PlanCache } = {}): Promise<LoadedPlan[]> {
  const piped = opts.stdin === true && args.includes('-');
  const named = piped ? args.filter((a) => a !== '-') : args;
  const files = named.length > 0 || !piped ? await discoverPlanFiles(named) : [];
  // A few files at a time: a thousand reads in flight at once hold a thousand buffers and handles.
  const limit = pLimit(LOADS_AT_ONCE);
  const cache = 'cache' in opts ? opts.cache : defaultPlanCache();
  const results = await Promise.all([...files.map((f) => limit(() => loadPlan(f, undefined, cache))), ...(piped ? [loadPlan('<stdin>', await readStdin(MAX_PLAN_BYTES))] : [])]);
  await cache?.save();
  const problems = results.flatMap((r) => (r.ok ? [] : r.problems));
  if (problems.length > 0) {
    // Printed with the error, each as file:line:col (or as a list in JSON output).
    throw new KeyrotError('plan-invalid', { count: problems.length, files: results.filter((r) => !r.ok).length, problems });
  }
  const loaded = results.map((r) => (r as { ok: true; loaded: LoadedPlan }).loaded);

  // Plans that share a state folder must have distinct names.
  const seen = new Map<string, string>();
  for (const l of loaded) {
    const key = `${stateDirOf(l, stateDir)}#${l.plan.name}`;
    const first = seen.get(key);
    if (first) throw new KeyrotError('plan-name-duplicate', { name: l.plan.name, first, second: l.file });
    seen.set(key, l.file);
  }
  return loaded;
}
