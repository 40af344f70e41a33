// --metrics-file PATH (run, status): every plan's key age and rotation as a Prometheus text file
// (exposition format 0.0.4, which OpenMetrics parsers read too), for node_exporter's textfile
// collector: written whole to a temporary file in the same folder and renamed over PATH, so the
// collector never reads half a file. Key ids are labels nowhere: a series per key would churn.
import { KeyrotError, reasonOf } from '../errors.js';
import type { LoadedPlan } from '../plan/load.js';
import { writeAtomic } from '../shared/atomic-file.js';
import { stateDirOf } from '../state/location.js';
import { isVaultSpec } from '../state/open.js';
import { countRuns, readRunCounts, type RunCounts } from '../state/run-counts.js';
import { inventory, type PlanInventory } from './inventory.js';
import type { OperationOptions } from './options.js';
import type { PlanResult } from './outcome.js';
import { PHASE_NAMES } from './rotation.js';

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Record<string, string>) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function renderMetrics(plans: PlanInventory[], runs: RunCounts, now: Date): string {
  const family = (name: string, type: Family['type'], help: string): Family => ({ name: `keyrot_${name}`, type, help, samples: [] });
  const f = {
    age: family('key_age_seconds', 'gauge', 'Age of the plan\'s active key (the newest active one), in seconds.'),
    maxAge: family('key_max_age_seconds', 'gauge', 'The plan\'s schedule.maxAge, in seconds: the key is overdue past it.'),
    overdue: family('key_overdue', 'gauge', '1 when the active key is older than schedule.maxAge.'),
    up: family('issuer_up', 'gauge', '1 when the issuer answered (key age known), 0 when it could not be asked.'),
    inFlight: family('rotation_in_flight', 'gauge', '1 while a rotation of the plan is in flight.'),
    phase: family('rotation_phase', 'gauge', '1 for the phase the rotation in flight is in (one series per plan and phase).'),
    held: family('rotation_held', 'gauge', '1 when the rotation in flight is held by a gate and needs someone.'),
    success: family('last_success_timestamp_seconds', 'gauge', 'When the plan\'s last rotation finished (Unix time).'),
    failure: family('last_failure_timestamp_seconds', 'gauge', 'When a step of the plan last failed, by the audit log (Unix time).'),
    runs: family('runs_total', 'counter', 'Runs of the plan by `keyrot run --metrics-file`, by outcome.'),
  };
  for (const p of plans) {
    const plan = { plan: p.plan };
    if (p.activeKey) f.age.samples.push({ labels: plan, value: p.activeKey.ageSeconds });
    if (p.maxAgeSeconds !== null) f.maxAge.samples.push({ labels: plan, value: p.maxAgeSeconds });
    f.overdue.samples.push({ labels: plan, value: p.overdue ? 1 : 0 });
    f.up.samples.push({ labels: plan, value: p.error ? 0 : 1 });
    f.inFlight.samples.push({ labels: plan, value: p.rotation ? 1 : 0 });
    for (const phase of PHASE_NAMES) f.phase.samples.push({ labels: { ...plan, phase }, value: p.rotation?.phase === phase ? 1 : 0 });
    f.held.samples.push({ labels: plan, value: p.rotation?.hold ? 1 : 0 });
    if (p.lastSuccessAt) f.success.samples.push({ labels: plan, value: seconds(p.lastSuccessAt) });
    if (p.lastFailureAt) f.failure.samples.push({ labels: plan, value: seconds(p.lastFailureAt) });
    for (const [outcome, count] of Object.entries(runs[p.plan] ?? {})) f.runs.samples.push({ labels: { ...plan, outcome }, value: count });
  }
  const generated = family('metrics_generated_timestamp_seconds', 'gauge', 'When keyrot wrote this file (Unix time): stale when the cron job stops.');
  generated.samples.push({ labels: {}, value: Math.floor(now.getTime() / 1000) });

  return [...Object.values(f), generated]
    .filter((fam) => fam.samples.length > 0)
    .map((fam) => [`# HELP ${fam.name} ${fam.help}`, `# TYPE ${fam.name} ${fam.type}`, ...fam.samples.map((s) => `${fam.name}${labelText(s.labels)} ${s.value}`)].join('\n'))
    .join('\n')
    .concat('\n');
}

async function writeMetricsFile(file: string, text: string): Promise<void> {
  try {
    // 0644: node_exporter usually runs as another user. The file holds ages and counts, no key id.
    // A path the user named on the command line: a link there (to someone's 0600 file) is refused.
    await writeAtomic(file, text, { mode: 0o644, links: 'refuse' });
  } catch (e) {
    throw new KeyrotError('metrics-file', { path: file, reason: reasonOf(e) });
  }
}

/** keyrot status --metrics-file: every plan's metrics, with the run counts kept so far. */
export async function writeStatusMetrics(file: string, plans: PlanInventory[], options: OperationOptions, now: Date): Promise<void> {
  // Counted beside a state folder; with Vault state (vault://…) there is no folder: no runs_total.
  const runs: RunCounts = isVaultSpec(options.states.spec) ? {} : Object.assign({}, ...(await Promise.all([...new Set(plans.map((k) => k.stateDir))].map(readRunCounts))));
  await writeMetricsFile(file, renderMetrics(plans, runs, now));
}

/** keyrot run --metrics-file: count this run's outcome per plan, then write every plan's metrics. */
export async function writeRunMetrics(file: string, plans: LoadedPlan[], results: PlanResult[], options: OperationOptions): Promise<void> {
  const spec = options.states.spec;
  const byDir = new Map<string, Array<{ plan: string; outcome: string }>>();
  for (const loaded of plans) {
    const result = results.find((r) => r.plan === loaded.plan.name);
    if (!result) continue;
    const dir = stateDirOf(loaded, spec);
    byDir.set(dir, [...(byDir.get(dir) ?? []), { plan: result.plan, outcome: result.outcome.status }]);
  }
  const runs: RunCounts = isVaultSpec(spec) ? {} : Object.assign({}, ...(await Promise.all([...byDir].map(([dir, done]) => countRuns(dir, done)))));
  const now = options.clock.now();
  await writeMetricsFile(file, renderMetrics(await inventory(plans, options, now), runs, now));
}
