// keyrot revoke: the incident path. Find the plan that owns the leaked key (never blocked by other
// plans' providers), check everything that could refuse, ask once, then revoke first (deactivate
// the leaked key now), replace it, and show what it last touched. The permanent delete waits for
// `--delete` after the soak.
import { readFile } from 'node:fs/promises';
import { systemClock } from '../../engine/clock.js';
import { leakFromSecret, parseLeakReport, type LeakReport } from '../../engine/leak-report.js';
import { currentKeyOf, finishedRevokeOf, revokeKey } from '../../engine/revoke.js';
import { findOwner, type KeyMatch, type NotAsked } from '../../engine/revoke-owner.js';
import type { StateBackend } from '../../state/open.js';
import { exitCodeOf, type Consent } from '../../engine/runner.js';
import type { SessionOptions } from '../../engine/session.js';
import { KeyrotError } from '../../errors.js';
import { shellWord } from '../../messages.js';
import type { LoadedPlan } from '../../plan/load.js';
import { confirmer } from '../confirm.js';
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
async function ownerOf(plans: LoadedPlan[], keyId: string, opts: RevokeOptions, reporter: Reporter, states?: StateBackend): Promise<Target> {
  const search = await findOwner(plans, { keyId }, { stateDir: opts.state, states, emit: (e) => reporter.event(e), clock: systemClock });
  warnNotAsked(reporter, search.notAsked);
  if (search.found) {
    const { plan } = search.found;
    if (search.unneeded) {
      const names = search.unneeded.map((p) => p.plan.name);
      const listed = names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ') || 'none';
      reporter.event({ type: 'note', plan: plan.plan.name, message: `found ${keyId} in keyrot's records of plan ${plan.plan.name}; not asked: ${listed}` });
    }
    return { plan, keyId: search.found.keyId };
  }
  const finished = await finishedRevokeOf(plans, keyId, opts.state, states);
  if (finished) throw finished;
  if (search.notAsked.length > 0) {
    throw new KeyrotError('revoke-not-asked', { keyId, count: search.notAsked.length, unasked: search.notAsked.map((n) => n.plan.file).join(', ') });
  }
  throw new KeyrotError('revoke-no-owner', { keyId, asked: plans.map((p) => p.plan.name).join(', ') });
}

/** Every finding of a leak report attributed to a plan, or listed as not attributed. */
async function ownersOfReport(plans: LoadedPlan[], report: LeakReport, opts: RevokeOptions, reporter: Reporter, states?: StateBackend): Promise<Target[]> {
  const deps = { stateDir: opts.state, states, emit: (e: Parameters<Reporter['event']>[0]) => reporter.event(e), clock: systemClock };
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function targetsOf(plans: LoadedPlan[], opts: RevokeOptions, reporter: Reporter, options: SessionOptions): Promise<Target[]> {
  if (opts.fromReport || opts.secretStdin) {
    const report = opts.fromReport
      ? parseLeakReport(await readFile(opts.fromReport, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new KeyrotError('leak-report-invalid', { file: opts.fromReport, reason: `cannot read it (${e.code ?? e.message})` });
      }), opts.fromReport)
      : leakFromSecret(await readStdin());
    return ownersOfReport(plans, report, opts, reporter, options.states);
  }
  if (opts.key) return [await ownerOf(plans, opts.key, opts, reporter, options.states)];
  return [{ plan: plans[0]!, keyId: await currentKeyOf(plans[0]!, options) }];
}

/**
 * One question for the whole command, asked only once every precondition of the first key held.
 * Revoking cuts off whatever still uses the key, so like the permanent --delete it needs a yes:
 * at a terminal, or --yes when there is none (automation passes --yes).
 */
function askOnce(options: SessionOptions) {
  let answer: Promise<Consent> | undefined;
  return (question: string): Promise<Consent> => (answer ??= options.confirm(question));
}

/** This command as typed, with --yes added: pasted, it goes ahead without asking. */
function withYes(opts: RevokeOptions): { command: string; piped: boolean } {
  const typed = process.argv.slice(2);
  const at = typed.indexOf('revoke');
  const words = [...typed.slice(0, at + 1), '--yes', ...typed.slice(at + 1)];
  return { command: ['keyrot', ...words.map(shellWord)].join(' '), piped: Boolean(opts.secretStdin) };
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
    const options = sessionOptions(opts, reporter, interrupt.signal, {
      wait: false, due: false, command: ['keyrot', 'revoke', ...process.argv.slice(3)].join(' '),
      // The secret came on stdin: the question goes to the terminal (/dev/tty), if there is one.
      confirm: confirmer({ yes: opts.yes, signal: interrupt.signal, pause: () => reporter.pause?.(), stdinTaken: opts.secretStdin }),
    });
    const targets = await targetsOf(plans, opts, reporter, options);
    const consent = askOnce(options);
    const retry = withYes(opts);
    const results: PlanResult[] = [];
    for (const target of targets) {
      if (interrupt.signal.aborted) break;
      const request = { plan: target.plan, keyId: target.keyId, delete: Boolean(opts.delete), count: targets.length, consent, withYes: retry };
      const outcome = await revokeKey(request, options).catch(reportedFailure(reporter, target.plan, opts.state));
      results.push({ plan: target.plan.plan.name, outcome });
    }
    reporter.summary(results);
    return interrupt.signal.aborted ? exitCodeOf({ status: 'interrupted' }) : worstExitCode(results.map((r) => exitCodeOf(r.outcome)));
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
