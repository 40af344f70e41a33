// keyrot run --metrics-file: count this run's outcome per plan, then write every plan's metrics.
import { inventory } from '../engine/inventory.js';
import type { LoadedPlan } from '../plan/load.js';
import { stateDirOf } from '../state/location.js';
import { isVaultSpec } from '../state/open.js';
import { countRuns, type RunCounts } from '../state/run-counts.js';
import { renderMetrics, writeMetricsFile } from './metrics-file.js';
import type { PlanResult } from './reporters/reporter.js';

export async function writeRunMetrics(file: string, plans: LoadedPlan[], results: PlanResult[], stateDir?: string): Promise<void> {
  const byDir = new Map<string, Array<{ plan: string; outcome: string }>>();
  for (const loaded of plans) {
    const result = results.find((r) => r.plan === loaded.plan.name);
    if (!result) continue;
    const dir = stateDirOf(loaded, stateDir);
    byDir.set(dir, [...(byDir.get(dir) ?? []), { plan: result.plan, outcome: result.outcome.status }]);
  }
  // Counted beside a state folder; with Vault state (vault://…) there is no folder: no runs_total.
  const runs: RunCounts = isVaultSpec(stateDir) ? {} : Object.assign({}, ...(await Promise.all([...byDir].map(([dir, done]) => countRuns(dir, done)))));
  const now = new Date();
  await writeMetricsFile(file, renderMetrics(await inventory(plans, stateDir, now), runs, now));
}
