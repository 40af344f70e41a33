import chalk from 'chalk';
import { inFlight, type RotationState } from '../../engine/rotation.js';
import { EXIT } from '../../messages.js';
import { formatDuration } from '../../shared/duration.js';
import { FileStateStore } from '../../state/file-store.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';
import { stateDirs } from '../state-dirs.js';

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

export async function statusCommand(args: string[], opts: OutputFlags & { state?: string }): Promise<number> {
  // Plans are loaded (zod, yaml) only when named: a bare `keyrot status` stays quick for cron.
  const plans = args.length > 0 ? await (await import('../load-plans.js')).loadPlans(args, opts.state) : [];
  const names = new Set(plans.map((p) => p.plan.name));
  const states: RotationState[] = [];
  for (const dir of stateDirs(plans, opts.state)) {
    for (const s of await new FileStateStore(dir).list()) if (names.size === 0 || names.has(s.plan)) states.push(s);
  }
  const flying = states.filter((s) => inFlight(s)).sort((a, b) => a.plan.localeCompare(b.plan));

  if (outputOf(opts) === 'json') {
    writeJson({ type: 'status', rotations: flying.map((s) => shown(s, new Date())), idle: states.length - flying.length });
    return EXIT.ok;
  }
  if (flying.length === 0) {
    process.stdout.write(`nothing in flight${states.length ? ` (${states.length} plan(s) idle)` : ''}\n`);
    return EXIT.ok;
  }
  const now = new Date();
  for (const s of flying) {
    const tags = [s.mode === 'revoke' ? chalk.red('revoke') : '', s.rolledBack ? chalk.yellow('rolled back') : '', s.approvedBy ? `delete approved by ${s.approvedBy}` : '']
      .filter(Boolean)
      .join(', ');
    process.stdout.write(`${chalk.bold(s.plan)}  ${s.phase} (${s.stage})  rotation ${s.rotationId}${tags ? `  [${tags}]` : ''}\n`);
    process.stdout.write(`  old key ${s.oldKeyId ?? '(none)'}  new key ${s.newKeyId ?? '(not yet created)'}${s.newFingerprint ? ` ${s.newFingerprint}` : ''}\n`);
    process.stdout.write(`  next: ${nextAction(s, now)}\n`);
  }
  return EXIT.ok;
}
