// The sessions a leaked key left open. Deactivating a database login stops new logins only: a session
// an attacker opened with the leaked password goes on. Revoke ends them right after the deactivate,
// where the issuer can (KeyIssuer.openSessions); a planned rotation never calls this (its session gate waits).
// A failure to end them never undoes the revoke: it is reported, audited, and ends the command with
// its exit code (4) once the replacement has gone as far as it can.
import { KeyrotError } from '../errors.js';
import { count } from '../shared/plural.js';
import type { SessionsEnded } from '../providers/types.js';
import type { RotationContext } from './context.js';

/** How a step of ending sessions is written: ctx.record (audit, state saved, shown), or without a save. */
type Note = (action: string, detail: string, outcome?: 'ok' | 'skipped') => Promise<void>;

/** End the sessions still open as revoked `keyId`; resolves the failure to report, never throws one the user can act on. */
export async function endLeakedSessions(ctx: RotationContext, keyId: string, note: Note = ctx.record): Promise<KeyrotError | undefined> {
  const sessions = ctx.issuer.openSessions;
  if (!sessions) return undefined;
  if (!sessions.end) {
    await note('end-sessions', `sessions open as leaked ${keyId} left open: ${sessions.explain}`, 'skipped');
    return undefined;
  }
  const end = sessions.end;
  let done: SessionsEnded;
  try {
    done = await ctx.call(ctx.issuer, 'end sessions', () => end(keyId));
  } catch (e) {
    const error = e as KeyrotError; // ctx.call turns every failure of the call into one
    // A refused privilege says which grant fixes it; any other failure (the server unreachable) is
    // said with the revoke's own next step: `keyrot run` would not end them, the same revoke does.
    const failure = error.code === 'db-sessions-not-ended' ? error : new KeyrotError('revoke-sessions-failed', { keyId, reason: error.message });
    failure.about(ctx.planArg);
    await ctx.audit('revoke', 'failed', `sessions open as leaked ${keyId} not ended: ${failure.message}`, 'end-sessions');
    ctx.emit({ type: 'failed', plan: ctx.plan.name, phase: 'revoke', code: failure.code, message: failure.message, hint: failure.hint });
    return failure;
  }
  // Recorded outside the try: they were ended, so a record that cannot be written (the disk full, the
  // lock lost) is that error, never "not ended".
  const kept = done.leftOpen?.count ? `; ${count(done.leftOpen.count, 'session')} left open: ${done.leftOpen.why}` : '';
  await note('end-sessions', `ended ${count(done.ended, 'session')} open as leaked key ${keyId}${kept}`);
  return undefined;
}

/**
 * A leaked key found inactive already, which no revoke of keyrot's stopped (the old key an abandoned
 * rotation left, or one disabled by hand): nothing to revoke, but the sessions it opened before are the
 * attacker's foothold. Where each key is its own login (PostgreSQL, MariaDB) they are ended, as a revoke
 * ends them; where one login holds every key (Redis) keyrot cannot tell which are the leaked key's, and
 * says so plainly. Audited and shown; no rotation record is written (none is started).
 */
export async function endInactiveKeySessions(ctx: RotationContext, keyId: string): Promise<KeyrotError | undefined> {
  const sessions = ctx.issuer.openSessions;
  if (!sessions) return undefined;
  const note: Note = async (action, detail, outcome = 'ok') => {
    await ctx.audit('revoke', outcome, detail, action);
    ctx.emit({ type: 'step', plan: ctx.plan.name, phase: 'revoke', action, detail });
  };
  if (sessions.sharedLogin) {
    const detail = `sessions open as leaked ${keyId} (inactive already) left open: keyrot cannot tell them from the current key's: ${sessions.sharedLogin}`;
    await ctx.audit('revoke', 'skipped', detail, 'end-sessions');
    ctx.emit({ type: 'warning', plan: ctx.plan.name, message: detail });
    return undefined;
  }
  return endLeakedSessions(ctx, keyId, note);
}
