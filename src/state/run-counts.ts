// How many runs of each plan ended how: a counter for monitoring (keyrot_runs_total), kept beside
// the state as metrics/runs.json and updated by `keyrot run --metrics-file` after its runs. Counts
// only, no key id, never a secret. Written atomically; two runs finishing at the same moment may
// each miss the other's increment, which a counter's rate() tolerates.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomic } from '../shared/atomic-file.js';
import { ensureDir, stateIoError } from './io.js';

export type RunCounts = Record<string, Record<string, number>>;

const fileOf = (stateDir: string) => path.join(stateDir, 'metrics', 'runs.json');

export async function readRunCounts(stateDir: string): Promise<RunCounts> {
  try {
    const parsed = JSON.parse(await readFile(fileOf(stateDir), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as RunCounts) : {};
  } catch {
    return {}; // none yet, or unreadable: counting starts again (a counter reset, which Prometheus handles)
  }
}

/** Add one run per (plan, outcome) and return the counts now. */
export async function countRuns(stateDir: string, runs: Array<{ plan: string; outcome: string }>): Promise<RunCounts> {
  const counts = await readRunCounts(stateDir);
  for (const { plan, outcome } of runs) {
    const byOutcome = (counts[plan] ??= {});
    byOutcome[outcome] = (Number(byOutcome[outcome]) || 0) + 1;
  }
  const file = fileOf(stateDir);
  await ensureDir(path.dirname(file));
  await writeAtomic(file, `${JSON.stringify(counts, null, 2)}\n`).catch(async (e: unknown) => {
    throw await stateIoError(e, file);
  });
  return counts;
}
