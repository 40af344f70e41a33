// soak: the old key stays inactive but restorable until the soak deadline; with a healthCheck, a
// failed probe rolls the deactivation back (the old key serves again) and holds the rotation.
import { formatDuration } from '../../shared/duration.js';
import type { RotationContext } from '../context.js';
import { holdAndRollBack, open, waitUntil, type GateResult } from '../gate.js';
import { probe } from '../health.js';
import { deadline, oldKey, waitForDeadline, type PhaseStory } from './phase.js';

async function soakOver(ctx: RotationContext): Promise<GateResult> {
  const check = ctx.plan.healthCheck;
  const soakEnd = new Date(ctx.state.deadlines.soak!);
  // No old key (a first rotation soaking only leaked keys): nothing a failed probe could bring back.
  if (!check || !ctx.state.oldKeyId) return waitForDeadline('soak', 'soak')(ctx);
  const health = await probe(check, ctx.planDir);
  if (!health.healthy) {
    return holdAndRollBack('health-check-failed', { plan: ctx.plan.name, keyId: oldKey(ctx), detail: health.detail }, health.detail);
  }
  const now = ctx.clock.now();
  if (now >= soakEnd) return open(`healthy: ${health.detail}`);
  const next = new Date(Math.min(soakEnd.getTime(), now.getTime() + check.interval));
  return waitUntil(next, 'soak (health checks)', `healthy: ${health.detail}`);
}

export const soak: PhaseStory = {
  calls: () => [],
  guards: (ctx) =>
    `waits ${formatDuration(ctx.plan.soak)} after the last target stopped serving the old key (stored deadline)` +
    (ctx.plan.healthCheck ? `; health check every ${formatDuration(ctx.plan.healthCheck.interval)}, a failure reactivates the old key` : ''),
  async act(ctx) {
    deadline(ctx, 'soak', ctx.clock.now(), ctx.plan.soak); // set when the last target retired the old key; written before any wait
  },
  waitFor: soakOver,
};
