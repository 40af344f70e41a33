// keyrot status: render the engine's report of every plan named and every rotation in flight.
import path from 'node:path';
import chalk from 'chalk';
import { shellWord } from '../../messages.js';
import type { PlanStatus, StatusReport } from '../../engine/operations/status.js';
import { status } from '../../engine/operations/status.js';
import { printable, printableDeep } from '../../shared/printable.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';
import { operationOptions, stateToRead, type Wiring } from '../session-options.js';

type Rotation = StatusReport['rotations'][number];

/** A rotation in flight as `status --output json` shows it (schema/status.schema.json): no internals. */
const shown = ({ state: s, next }: Rotation) => ({
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
  alsoRevoked: (s.alsoRevoked ?? []).map(({ keyId, revokedAt, deletedAt }) => ({ keyId, revokedAt, deletedAt: deletedAt ?? null })),
  next,
});

/** A plan's key and last outcome as `status --output json` shows it (schema/status.schema.json). */
const keyShown = (p: PlanStatus) => ({
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

/** `keyrot status` over the plan folder that holds the state folder read (rotation-plans/.keyrot -> rotation-plans/). */
function everyPlanCommand(places: string[]): string {
  const folders = places.filter((p) => path.basename(p) === '.keyrot').map((p) => path.relative('.', path.dirname(p)) || '.');
  return ['keyrot', 'status', ...(folders.length > 0 ? folders.map((f) => shellWord(f === '.' ? '.' : `${f}/`)) : ['rotation-plans/'])].join(' ');
}

/** Output is written this many characters at a time: 10,000 plans are neither one write each nor one string. */
const WRITE_CHARS = 64 * 1024;

/** Text from a plan, a server or a record, escaped for the terminal (shared/printable.ts), never cut. */
const shownText = (text: string) => printable(text, Number.MAX_SAFE_INTEGER);

/** What the last audit record did: its action, or its phase where the action only repeats the outcome ("create failed", not "failed failed"). */
const lastStep = (last: NonNullable<PlanStatus['lastOutcome']>) => (last.action !== last.outcome ? last.action : last.phase !== 'done' ? last.phase : 'rotation');

/** A plan's lines: each value shown escaped here, one at a time (not a copy of the plan's whole inventory). */
function keyLines(p: PlanStatus): string {
  const age = shownText(p.age);
  const key = p.activeKey ? `active ${shownText(p.activeKey.id)} ${p.overdue ? chalk.red.bold(age) : age}` : p.error ? chalk.red(shownText(p.error.message)) : age;
  let lines = `${chalk.bold(shownText(p.plan))}  ${shownText(p.issuer)}  ${key}\n`;
  if (p.error) lines += `  ${chalk.dim('hint:')} ${shownText(p.error.hint)}\n`;
  const last = p.lastOutcome;
  if (last) lines += `  last: ${shownText(lastStep(last))} ${shownText(last.outcome)} at ${shownText(last.at)}${p.lastSuccessAt ? `; last rotation finished ${shownText(p.lastSuccessAt)}` : ''}\n`;
  if (!p.rotation && p.overdue) lines += `  next: \`${shownText(p.next)}\` rotates it now\n`;
  return lines;
}

function renderKeys(plans: PlanStatus[]): void {
  let pending = '';
  for (const plan of plans) {
    pending += keyLines(plan);
    if (pending.length >= WRITE_CHARS) {
      process.stdout.write(pending);
      pending = '';
    }
  }
  if (pending) process.stdout.write(pending);
}

function renderRotation(rotation: Rotation): void {
  const { state: s, next } = printableDeep(rotation);
  const tags = [s.mode === 'revoke' ? chalk.red('revoke') : '', s.abandoned ? chalk.yellow('abandoned') : '', s.rolledBack ? chalk.yellow('rolled back') : '', s.approvedBy ? `delete approved by ${s.approvedBy}` : '']
    .filter(Boolean)
    .join(', ');
  process.stdout.write(`${chalk.bold(s.plan)}  ${s.phase} (${s.stage})  rotation ${s.rotationId}${tags ? `  [${tags}]` : ''}\n`);
  process.stdout.write(`  old key ${s.oldKeyId ?? '(none)'}  new key ${s.newKeyId ?? '(not yet created)'}${s.newFingerprint ? ` ${s.newFingerprint}` : ''}\n`);
  for (const k of s.alsoRevoked ?? []) {
    const after = !k.finished ? ': unfinished, the next run finishes it' : k.deletedAt ? `, deleted at ${k.deletedAt}` : s.phase === 'done' ? ', not deleted' : '';
    process.stdout.write(`  also revoked (leaked) ${k.keyId}${k.revokedAt ? ` at ${k.revokedAt}` : ''}${after}\n`);
  }
  process.stdout.write(`  next: ${next}\n`);
}

export async function statusCommand(args: string[], opts: OutputFlags & { state?: string; metricsFile?: string }, wiring: Wiring): Promise<number> {
  stateToRead(opts, 'status');
  const options = operationOptions(opts, wiring);
  // Plans are loaded (zod, yaml) only when named: a bare `keyrot status` stays quick for cron.
  // The state store starts reading (Vault: its listing) while the plans load, instead of after.
  if (args.length > 0) void options.states.stores([]).then((stores) => stores.forEach((store) => store.readAhead?.()), () => undefined);
  const plans = args.length > 0 ? await (await import('../../engine/load-plans.js')).loadPlans(args, opts.state) : [];
  const report = await status(plans, { metricsFile: opts.metricsFile }, options);

  if (outputOf(opts) === 'json') {
    writeJson({ type: 'status', plans: report.plans.map(keyShown), rotations: report.rotations.map(shown), idle: report.idle });
    return report.exitCode;
  }
  renderKeys(report.plans);
  if (report.rotations.length === 0) {
    process.stdout.write(`nothing in flight${plans.length === 0 ? ` in ${printableDeep(report.places.join(', ')) || 'any state folder here'}` : ''}\n`);
    // Without plans only the state folder is read: it knows rotations, not every plan and its key.
    if (plans.length === 0) process.stdout.write(`every plan's key and its age: \`${everyPlanCommand(report.places)}\`\n`);
    return report.exitCode;
  }
  if (report.plans.length > 0) process.stdout.write('\nin flight:\n');
  report.rotations.forEach(renderRotation);
  return report.exitCode;
}
