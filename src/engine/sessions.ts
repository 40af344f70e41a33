// The session gate. A database issuer cannot say when a login was last used, only who is connected
// with it now (LastUse `sessions`: pg_stat_activity, the processlist, CLIENT LIST). "Connected now" is
// not a date, so the quiet period is measured here: from the last time the gate saw a session, else
// from the first time it looked, kept in the rotation state (`quietSince`) so that a resumed run
// continues it. The gate asks again while it waits, so a session that comes back restarts the count.
import { formatDuration } from '../shared/duration.js';
import type { LastUse } from '../providers/types.js';
import type { RotationContext } from './context.js';
import { hold, open, waitUntil, type GateResult } from './gate.js';

type Sessions = Extract<LastUse, { reported: 'sessions' }>;

/** Whether `use` shows the key used: a use at or after `since` (any use, without it), or a session open now. */
export function wasUsed(use: LastUse, since?: Date): boolean {
  if (use.reported === 'sessions') return use.sessions > 0;
  return use.reported && use.at !== null && (!since || use.at >= since);
}

/** How often the gate looks again while it waits: the plan's usage interval, else quietFor within 1 s..1 min. */
const pollEvery = (ctx: RotationContext, quietFor: number): number =>
  ctx.plan.usage?.interval ?? Math.min(60_000, Math.max(1_000, quietFor));

/**
 * Before deactivate: the old key's sessions must have been gone for `quietFor` (as keyrot saw them),
 * else wait, asking again every poll, and hold (exit 3) once `maxWait` has passed.
 */
export function quietBySessions(ctx: RotationContext, keyId: string, use: Sessions, lastUsed: string, evidence: string): GateResult {
  const rule = ctx.plan.lastUsed!;
  const { state } = ctx;
  const now = ctx.clock.now();
  if (use.sessions > 0 || !state.quietSince) state.quietSince = now.toISOString();
  const giveUp = new Date(state.deadlines['last-used']!);
  // Never sooner than a second from now (quietFor 0 with a session open would ask in a tight loop).
  const next = (at: Date) => new Date(Math.min(Math.max(at.getTime(), now.getTime() + 1_000), now.getTime() + pollEvery(ctx, rule.quietFor), giveUp.getTime()));
  const since = new Date(state.quietSince);
  const quietAt = new Date(since.getTime() + rule.quietFor);
  if (use.sessions === 0 && now >= quietAt) {
    return open(evidence, `no session seen since ${since.toISOString()} (${formatDuration(now.getTime() - since.getTime())})`);
  }
  if (now >= giveUp) return hold('old-key-in-use', { keyId, lastUsed, waited: formatDuration(rule.maxWait) }, evidence);
  const seen = use.sessions > 0 ? lastUsed : `none since ${since.toISOString()}`;
  return waitUntil(next(quietAt), `old key must have no session for ${formatDuration(rule.quietFor)}: ${seen}`, evidence);
}
