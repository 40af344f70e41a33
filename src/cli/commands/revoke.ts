// keyrot revoke: the incident path. Find the plan that owns the leaked key (never blocked by other
// plans' providers), check everything that could refuse, ask once, then revoke first (deactivate
// the leaked key now), replace it, and show what it last touched. The permanent delete waits for
// `--delete` after the soak.
import { readFile } from 'node:fs/promises';
import { actor } from '../../audit/log.js';
import { systemClock } from '../../engine/clock.js';
import { leakFromSecret, parseLeakReport, type LeakReport } from '../../engine/leak-report.js';
import { beginRevoke } from '../../engine/revoke.js';
import { findOwner, type KeyMatch, type NotAsked } from '../../engine/revoke-owner.js';
import { exitCodeOf, type Consent, type Outcome } from '../../engine/runner.js';
import { buildProviders, callProvider } from '../../engine/providers.js';
import { drive, withPlan, type SessionOptions } from '../../engine/session.js';
import { KeyrotError } from '../../errors.js';
import { commandArg } from '../../messages.js';
import type { LoadedPlan } from '../../plan/load.js';
import { FileStateStore } from '../../state/file-store.js';
import { stateDirOf } from '../../state/location.js';
import { canAsk } from '../confirm.js';
import { loadPlans } from '../load-plans.js';
import { outputOf } from '../output.js';
import { pickReporter, type PlanResult, type Reporter } from '../reporters/reporter.js';
import { sessionOptions, type CommonRunFlags } from '../session-options.js';
import { interruptSignal } from '../signals.js';
import { worstExitCode } from '../worst.js';
import { reportedFailure } from './run.js';

export interface RevokeOptions extends CommonRunFlags {
  key?: string;
  fromReport?: string;
  secretStdin?: boolean;
  delete?: boolean;
}

interface Target {
  plan: LoadedPlan;
  keyId: string;
  /** Where the leak was seen (from a report), for the listing. */
  where?: string;
}

/** Plans whose issuer could not be asked are skipped, and each is named with the reason. */
function warnNotAsked(reporter: Reporter, notAsked: NotAsked[]) {
  for (const n of notAsked) {
    reporter.event({ type: 'warning', plan: n.plan.plan.name, message: `could not ask (skipped, ${notAsked.length} plan(s) in all): ${n.reason}` });
  }
}

/** The owner of one key id, or an error naming why it was not found. */
async function ownerOf(plans: LoadedPlan[], keyId: string, opts: RevokeOptions, reporter: Reporter): Promise<Target> {
  const search = await findOwner(plans, { keyId }, { stateDir: opts.state, emit: (e) => reporter.event(e), clock: systemClock });
  warnNotAsked(reporter, search.notAsked);
  if (search.found) {
    const { plan } = search.found;
    if (search.unneeded !== undefined) reporter.event({ type: 'note', plan: plan.plan.name, message: `found ${keyId} in keyrot's records of plan ${plan.plan.name}; ${search.unneeded} other plan(s) not asked` });
    return { plan, keyId: search.found.keyId };
  }
  const finished = await finishedRevoke(plans, keyId, opts);
  if (finished) throw finished;
  if (search.notAsked.length > 0) {
    throw new KeyrotError('revoke-not-asked', { keyId, count: search.notAsked.length, unasked: search.notAsked.map((n) => n.plan.file).join(', ') });
  }
  throw new KeyrotError('revoke-no-owner', { keyId, asked: plans.map((p) => p.plan.name).join(', ') });
}

/** A key no issuer lists may have been revoked and deleted already: say so instead of "not found". */
async function finishedRevoke(plans: LoadedPlan[], keyId: string, opts: RevokeOptions): Promise<KeyrotError | undefined> {
  for (const loaded of plans) {
    const saved = await new FileStateStore(stateDirOf(loaded, opts.state)).load(loaded.plan.name).catch(() => undefined);
    if (saved?.mode === 'revoke' && saved.oldKeyId === keyId && saved.phase === 'done') {
      return new KeyrotError('revoke-finished', { keyId, plan: saved.plan, rotationId: saved.rotationId, at: saved.completedAt, file: commandArg(loaded.file, opts.state) });
    }
  }
  return undefined;
}

/** Every finding of a leak report attributed to a plan, or listed as not attributed. */
async function ownersOfReport(plans: LoadedPlan[], report: LeakReport, opts: RevokeOptions, reporter: Reporter): Promise<Target[]> {
  const deps = { stateDir: opts.state, emit: (e: Parameters<Reporter['event']>[0]) => reporter.event(e), clock: systemClock };
  const targets: Target[] = [];
  const unattributed: string[] = [];
  const notAsked = new Map<LoadedPlan, NotAsked>();
  for (const finding of report.findings) {
    const matches: KeyMatch[] = [...finding.keyIds.map((keyId) => ({ keyId })), ...finding.fingerprints.map((fp) => ({ fingerprint: fp }))];
    let owner: Target | undefined;
    for (const match of matches) {
      const search = await findOwner(plans, match, deps);
      search.notAsked.forEach((n) => notAsked.set(n.plan, n));
      if (search.found) {
        owner = { plan: search.found.plan, keyId: search.found.keyId, where: finding.where };
        break;
      }
    }
    if (!owner) unattributed.push(finding.where);
    else if (!targets.some((t) => t.plan === owner!.plan && t.keyId === owner!.keyId)) targets.push(owner);
  }
  warnNotAsked(reporter, [...notAsked.values()]);
  for (const t of targets) reporter.event({ type: 'note', plan: t.plan.plan.name, message: `found: ${t.keyId} of plan ${t.plan.plan.name}, leaked at ${t.where}` });
  for (const where of unattributed) reporter.event({ type: 'warning', plan: 'leak-report', message: `not attributed to any plan: ${where}` });
  if (targets.length === 0) {
    if (notAsked.size > 0) throw new KeyrotError('revoke-not-asked', { keyId: 'any finding', count: notAsked.size, unasked: [...notAsked.keys()].map((p) => p.file).join(', ') });
    throw new KeyrotError('revoke-nothing-attributed', { count: report.findings.length });
  }
  return targets;
}

/** Without --key: the key the plan's consumers use now (or the one its revoke in flight is about). */
async function currentKey(loaded: LoadedPlan, opts: RevokeOptions, reporter: Reporter): Promise<string> {
  const saved = await new FileStateStore(stateDirOf(loaded, opts.state)).load(loaded.plan.name);
  if (saved?.mode === 'revoke' && saved.phase !== 'done' && saved.oldKeyId) return saved.oldKeyId;
  const { issuer, stores } = await buildProviders(loaded, stateDirOf(loaded, opts.state), (e) => reporter.event(e), systemClock);
  const active = (await callProvider(issuer, 'list', () => issuer.list())).filter((k) => k.status === 'active');
  const served = await Promise.all(stores.map((s) => callProvider(s, 'readBack', () => s.readBack())));
  const current = active.find((k) => served.some((c) => c?.keyId === k.id)) ?? (active.length === 1 ? active[0] : undefined);
  if (!current) throw new KeyrotError('revoke-needs-key', {});
  return current.id;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function targetsOf(plans: LoadedPlan[], opts: RevokeOptions, reporter: Reporter): Promise<Target[]> {
  if (opts.fromReport || opts.secretStdin) {
    const report = opts.fromReport
      ? parseLeakReport(await readFile(opts.fromReport, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new KeyrotError('leak-report-invalid', { file: opts.fromReport, reason: `cannot read it (${e.code ?? e.message})` });
      }), opts.fromReport)
      : leakFromSecret(await readStdin());
    return ownersOfReport(plans, report, opts, reporter);
  }
  if (opts.key) return [await ownerOf(plans, opts.key, opts, reporter)];
  return [{ plan: plans[0]!, keyId: await currentKey(plans[0]!, opts, reporter) }];
}

/**
 * One question for the whole command, asked only once every precondition of the first key held.
 * Revoking is urgent and reversible, so without a terminal it goes ahead (with a warning); the
 * permanent --delete without a terminal needs --yes.
 */
function askOnce(opts: RevokeOptions, options: SessionOptions) {
  let answer: Promise<Consent> | undefined;
  return (question: string): Promise<Consent> => {
    answer ??= opts.yes ? Promise.resolve('yes') : !canAsk() && !opts.delete ? Promise.resolve('yes') : options.confirm(question);
    return answer;
  };
}

async function revokeOne(target: Target, count: number, opts: RevokeOptions, options: SessionOptions, reporter: Reporter, consent: (q: string) => Promise<Consent>): Promise<Outcome> {
  const { plan: owner, keyId } = target;
  const planArg = commandArg(owner.file, opts.state);
  return withPlan(owner, options, async (session) => {
    const revoking = session.saved?.mode === 'revoke' && session.saved.phase !== 'done' && session.saved.oldKeyId === keyId;
    // --delete finishes a revoke; it never starts one (that would skip the warning below).
    if (opts.delete && !revoking) throw new KeyrotError('revoke-delete-first', { keyId, plan: owner.plan.name, file: planArg });
    const start = await beginRevoke(session, keyId);
    if ('nothing' in start) {
      reporter.event({ type: 'note', plan: owner.plan.name, message: `nothing to revoke: ${start.nothing}` });
      return { status: 'done' as const };
    }
    const what = count > 1 ? `${count} keys (listed above)` : `${keyId} of plan ${owner.plan.name}`;
    const question = opts.delete
      ? `permanently delete the revoked key ${what} once its soak is over?`
      : `revoke ${what} now: anything still using it fails until it loads the replacement. Revoke?`;
    const answer = await consent(question);
    if (answer !== 'yes') {
      const code = answer === 'no' ? 'revoke-declined' : 'delete-unattended';
      const error = new KeyrotError(code, { keyId, file: planArg });
      reporter.event({ type: 'held', plan: owner.plan.name, phase: 'revoke', code, message: error.message, hint: error.hint, evidence: [] });
      return { status: 'held' as const, code };
    }
    if (!opts.delete) reporter.event({ type: 'warning', plan: owner.plan.name, message: `revoking ${keyId} of plan ${owner.plan.name} now: anything still using it fails until it loads the replacement` });

    const ctx = session.context(start.state);
    if (opts.delete && !ctx.state.approvedBy) {
      ctx.state.approvedBy = actor();
      await ctx.save();
      await ctx.audit(ctx.state.phase, 'ok', `permanent delete of revoked key ${keyId} approved by ${ctx.state.approvedBy}`, 'approve');
    }
    // Asked once above: the delete phase does not ask again.
    const result = await drive(ctx, { ...options, confirm: async () => 'yes' });
    const soakOver = result.status === 'held' && result.code === 'approval-required';
    if ((result.status === 'waiting' || soakOver) && !opts.delete) {
      // Revoked and replaced: the soak runs on its own; the delete is a later, explicit step (unless
      // the issuer was full and the leaked key was deleted already to make room for its replacement).
      const evicted = ctx.state.keysBeforeCreate !== null && !ctx.state.keysBeforeCreate.includes(keyId);
      const next = evicted
        ? 'the leaked key was deleted to make room for it (the issuer was full)'
        : `delete the leaked key after ${ctx.state.deadlines.soak} with \`keyrot revoke --delete --key ${keyId} ${planArg}\``;
      reporter.event({ type: 'note', plan: owner.plan.name, message: `revoked ${keyId}; replacement ${ctx.state.newKeyId} published; ${next}` });
      return { status: 'done' as const };
    }
    return result;
  }).catch(reportedFailure(reporter, owner, opts.state));
}

export async function revokeCommand(args: string[], opts: RevokeOptions): Promise<number> {
  const sources = [opts.key, opts.fromReport, opts.secretStdin].filter(Boolean).length;
  if (sources > 1) throw new KeyrotError('usage', { problem: 'give only one of --key, --from-report and --secret-stdin' });
  if (opts.delete && !opts.key) throw new KeyrotError('usage', { problem: '--delete needs --key: it finishes the revoke of one key' });
  if (opts.secretStdin && process.stdin.isTTY) throw new KeyrotError('usage', { problem: '--secret-stdin reads the secret from a pipe: `pbpaste | keyrot revoke --secret-stdin <plans>` (typing it would echo it)' });
  const plans = await loadPlans(args, opts.state);
  if (sources === 0 && plans.length !== 1) throw new KeyrotError('revoke-needs-key', {});
  const reporter = await pickReporter(outputOf(opts));
  const interrupt = interruptSignal(() => undefined);
  try {
    const options = sessionOptions(opts, reporter, interrupt.signal, { wait: false, due: false, command: ['keyrot', 'revoke', ...process.argv.slice(3)].join(' ') });
    const targets = await targetsOf(plans, opts, reporter);
    const consent = askOnce(opts, options);
    const results: PlanResult[] = [];
    for (const target of targets) {
      if (interrupt.signal.aborted) break;
      results.push({ plan: target.plan.plan.name, outcome: await revokeOne(target, targets.length, opts, options, reporter, consent) });
    }
    reporter.summary(results);
    return interrupt.signal.aborted ? exitCodeOf({ status: 'interrupted' }) : worstExitCode(results.map((r) => exitCodeOf(r.outcome)));
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
