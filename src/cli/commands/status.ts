import chalk from 'chalk';
import type { PlanInventory } from '../../engine/inventory.js';
import { inFlight, type RotationState } from '../../engine/rotation.js';
import { EXIT } from '../../messages.js';
import { formatDuration } from '../../shared/duration.js';
import { isVaultSpec, openState } from '../../state/open.js';
import { readRunCounts } from '../../state/run-counts.js';
import { KeyrotError } from '../../errors.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';

function nextAction(s: RotationState, now: Date): string {
  if (s.hold) return `held: ${s.hold.message}`;
  const deadline = s.phase !== 'done' ? s.deadlines[s.phase] : undefined;
  if (s.stage === 'acting') return `${s.phase} was interrupted; the next run finishes it`;
  if (s.stage === 'waiting' && deadline) {
    const left = new Date(deadline).getTime() - now.getTime();
    return left > 0 ? `${s.phase} ends ${deadline} (in ${formatDuration(left)})` : `${s.phase} ended ${deadline}: run again to continue`;
  }
  return `${s.phase} on the next run`;
}

/** A rotation in flight as `status --output json` shows it (schema/status.schema.json): no internals. */
const shown = (s: RotationState, now: Date) => ({
  plan: s.plan,
  rotationId: s.rotationId,
  mode: s.mode,
  phase: s.phase,
  stage: s.stage,
  oldKeyId: s.oldKeyId,
  newKeyId: s.newKeyId,
  fingerprint: s.newFingerprint,
  startedAt: s.startedAt,
  deadline: s.phase !== 'done' ? (s.deadlines[s.phase] ?? null) : null,
  hold: s.hold ? { code: s.hold.code, message: s.hold.message, since: s.hold.since } : null,
  rolledBack: s.rolledBack !== null,
  approvedBy: s.approvedBy,
  next: nextAction(s, now),
});

/** A plan's key and last outcome as `status --output json` shows it (schema/status.schema.json). */
const keyShown = (p: PlanInventory) => ({
  plan: p.plan,
  file: p.file,
  issuer: p.issuer,
  activeKey: p.activeKey,
  maxAgeSeconds: p.maxAgeSeconds,
  dueAt: p.dueAt,
  overdue: p.overdue,
  inFlight: p.rotation ? { rotationId: p.rotation.rotationId, phase: p.rotation.phase, stage: p.rotation.stage, held: p.rotation.hold !== null } : null,
  lastOutcome: p.lastOutcome,
  lastSuccessAt: p.lastSuccessAt,
  lastFailureAt: p.lastFailureAt,
  error: p.error,
  next: p.next,
});

function renderKey(p: PlanInventory, now: Date, describeAge: (p: PlanInventory, now: Date) => string): void {
  const age = describeAge(p, now);
  const key = p.activeKey ? `active ${p.activeKey.id} ${p.overdue ? chalk.red.bold(age) : age}` : p.error ? chalk.red(`${p.error.message}`) : age;
  process.stdout.write(`${chalk.bold(p.plan)}  ${p.issuer}  ${key}\n`);
  if (p.error) process.stdout.write(`  ${chalk.dim('hint:')} ${p.error.hint}\n`);
  if (p.lastOutcome) process.stdout.write(`  last: ${p.lastOutcome.action} ${p.lastOutcome.outcome} at ${p.lastOutcome.at}${p.lastSuccessAt ? `; last rotation finished ${p.lastSuccessAt}` : ''}\n`);
  if (!p.rotation && p.overdue) process.stdout.write(`  next: \`${p.next}\` rotates it now\n`);
}

export async function statusCommand(args: string[], opts: OutputFlags & { state?: string; metricsFile?: string }): Promise<number> {
  if (opts.metricsFile && args.length === 0) {
    throw new KeyrotError('usage', { problem: '--metrics-file needs the plans to report on: `keyrot status --metrics-file keyrot.prom rotation-plans/`' });
  }
  // Plans are loaded (zod, yaml) only when named: a bare `keyrot status` stays quick for cron.
  const plans = args.length > 0 ? await (await import('../load-plans.js')).loadPlans(args, opts.state) : [];
  const names = new Set(plans.map((p) => p.plan.name));
  const backend = openState(opts.state);
  const states: RotationState[] = [];
  for (const store of await backend.stores(plans)) {
    for (const s of await store.list()) if (names.size === 0 || names.has(s.plan)) states.push(s);
  }
  const flying = states.filter((s) => inFlight(s)).sort((a, b) => a.plan.localeCompare(b.plan));
  // Every plan named, in flight or not: its key's age (one issuer list each) and its last outcome.
  const now = new Date();
  // The inventory (and through it the provider registry, zod) only when plans are named.
  const { inventory, describeAge } = plans.length > 0 ? await import('../../engine/inventory.js') : { inventory: async () => [], describeAge: () => '' };
  const keys = (await inventory(plans, opts.state, now, backend)).sort((a, b) => a.plan.localeCompare(b.plan));
  if (opts.metricsFile) {
    const runs = isVaultSpec(opts.state) ? {} : Object.assign({}, ...(await Promise.all([...new Set(keys.map((k) => k.stateDir))].map(readRunCounts))));
    const { renderMetrics, writeMetricsFile } = await import('../metrics-file.js');
    await writeMetricsFile(opts.metricsFile, renderMetrics(keys, runs, now));
  }
  const code = keys.some((k) => k.error) ? EXIT.provider : EXIT.ok;

  if (outputOf(opts) === 'json') {
    writeJson({ type: 'status', plans: keys.map(keyShown), rotations: flying.map((s) => shown(s, now)), idle: states.length - flying.length });
    return code;
  }
  for (const p of keys) renderKey(p, now, describeAge);
  if (flying.length === 0) {
    process.stdout.write(`nothing in flight${states.length ? ` (${states.length} plan(s) idle)` : ''}\n`);
    return code;
  }
  if (keys.length > 0) process.stdout.write('\nin flight:\n');
  for (const s of flying) {
    const tags = [s.mode === 'revoke' ? chalk.red('revoke') : '', s.rolledBack ? chalk.yellow('rolled back') : '', s.approvedBy ? `delete approved by ${s.approvedBy}` : '']
      .filter(Boolean)
      .join(', ');
    process.stdout.write(`${chalk.bold(s.plan)}  ${s.phase} (${s.stage})  rotation ${s.rotationId}${tags ? `  [${tags}]` : ''}\n`);
    process.stdout.write(`  old key ${s.oldKeyId ?? '(none)'}  new key ${s.newKeyId ?? '(not yet created)'}${s.newFingerprint ? ` ${s.newFingerprint}` : ''}\n`);
    process.stdout.write(`  next: ${nextAction(s, now)}\n`);
  }
  return code;
}
