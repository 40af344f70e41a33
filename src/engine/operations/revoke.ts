// keyrot revoke: the incident path. Find the plan that owns each leaked key (never blocked by other
// plans' providers), check everything that could refuse, ask once, then revoke first (deactivate
// the leaked key now), replace it, and show what it last touched. The permanent delete waits for
// `--delete` after the soak.
import { isKeyrotError, KeyrotError } from '../../errors.js';
import type { LoadedPlan } from '../../plan/load.js';
import type { SessionOptions } from '../options.js';
import { outcomeOfError, type PlanResult } from '../outcome.js';
import { revokeKey } from '../revoke.js';
import { revokeTargets, type LeakSource } from '../revoke-targets.js';
import type { Consent } from '../runner.js';
import { failedToStart } from '../session.js';

export interface RevokeRequest {
  source: LeakSource;
  /** After the soak: permanently delete the revoked key (with a key id). */
  delete: boolean;
  /** The command as typed, with --yes added (piped: the secret came on stdin): what a hold without a terminal names. */
  withYes: { command: string; piped: boolean };
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

/** Revoke every key the source names, one after another; stops at an interruption. */
export async function revokeKeys(plans: LoadedPlan[], request: RevokeRequest, options: SessionOptions): Promise<PlanResult[]> {
  if ('current' in request.source && plans.length !== 1) throw new KeyrotError('revoke-needs-key', {});
  const selection = await revokeTargets(plans, request.source, options).catch((e: unknown) => {
    if (request.delete && isKeyrotError(e, 'revoke-finished')) return e;
    throw e;
  });
  if (selection instanceof KeyrotError) return deletedAlready(selection, options);
  const { targets, undecided } = selection;
  const consent = askOnce(options);
  const results: PlanResult[] = [];
  for (const target of targets) {
    if (options.signal.aborted) break;
    const one = { plan: target.plan, keyId: target.keyId, locations: target.locations, delete: request.delete, count: targets.length, consent, withYes: request.withYes };
    const outcome = await revokeKey(one, options).catch(failedToStart(target.plan, options));
    const result = { plan: target.plan.plan.name, outcome };
    options.reporter.result?.(result);
    results.push(result);
  }
  if (undecided) {
    // Said last, where a person reading the end of the output (or a log) sees it: this is exit 4.
    options.reporter.event({ type: 'failed', plan: 'leak-report', code: undecided.code, message: undecided.message, hint: undecided.hint });
    results.push({ plan: 'leak-report', outcome: outcomeOfError(undecided) });
  }
  options.reporter.summary(results);
  return results;
}

/** `revoke --delete --key K` again, once that revoke has deleted K: what it asked for is done (exit 0), said as such. */
function deletedAlready(finished: KeyrotError<'revoke-finished'>, options: SessionOptions): PlanResult[] {
  const { keyId, plan, rotationId, at } = finished.details;
  const history = finished.details.file ? ` (\`keyrot history ${finished.details.file}\` shows what was done)` : '';
  options.reporter.event({ type: 'note', plan: String(plan), message: `${keyId} was deleted already by its own revoke, rotation ${rotationId} of plan ${plan}, finished ${at}; nothing left to do${history}` });
  const results: PlanResult[] = [{ plan: String(plan), outcome: { status: 'done' } }];
  options.reporter.summary(results);
  return results;
}
