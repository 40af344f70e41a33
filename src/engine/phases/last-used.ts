// last-used: the old key must have gone quiet (plan `lastUsed`) before it is deactivated: by the
// issuer's own record (a database: its sessions now, engine/sessions.ts) and, with a `usage` block,
// by the service's metrics. Holds after maxWait.
import { formatDuration } from '../../shared/duration.js';
import type { RotationContext } from '../context.js';
import { hold, open, waitUntil, type GateResult } from '../gate.js';
import { describeLastUse } from '../keys.js';
import { quietBySessions } from '../sessions.js';
import { quietByUsage, usageNow, withUsage } from '../usage.js';
import { deadline, oldKey, type PhaseStory } from './phase.js';

async function startQuietWait(ctx: RotationContext): Promise<void> {
  if (ctx.plan.lastUsed) deadline(ctx, 'last-used', ctx.clock.now(), ctx.plan.lastUsed.maxWait); // written before any wait (runner.ts)
}

/** Quiet for quietFor by the issuer's record; wait until it may be, or hold once maxWait is over. */
async function quietByIssuer(ctx: RotationContext): Promise<GateResult> {
  const rule = ctx.plan.lastUsed;
  if (!rule) return open('no lastUsed rule in the plan');
  const keyId = oldKey(ctx);
  const use = await ctx.call(ctx.issuer, 'lastUsed', () => ctx.issuer.lastUsed(keyId));
  const evidence = `old key ${keyId} last used: ${describeLastUse(use)}`;
  if (use.reported === 'sessions') return quietBySessions(ctx, keyId, use, describeLastUse(use), evidence);
  if (!use.reported || use.at === null) return open(evidence);
  const now = ctx.clock.now();
  const quietAt = new Date(use.at.getTime() + rule.quietFor);
  if (now >= quietAt) return open(evidence, `quiet for ${formatDuration(now.getTime() - use.at.getTime())}`);
  const giveUp = new Date(ctx.state.deadlines['last-used']!);
  if (now >= giveUp) {
    return hold('old-key-in-use', { keyId, lastUsed: describeLastUse(use), waited: formatDuration(rule.maxWait) }, evidence);
  }
  return waitUntil(quietAt < giveUp ? quietAt : giveUp, `old key must be quiet for ${formatDuration(rule.quietFor)}`, evidence);
}

export const lastUsed: PhaseStory = {
  calls: (ctx) => (ctx.plan.lastUsed ? [ctx.issuer.explain('lastUsed'), ...(ctx.usage ? [ctx.usage.explain()] : [])] : []),
  guards: (ctx) =>
    ctx.plan.lastUsed
      ? `old key idle for ${formatDuration(ctx.plan.lastUsed.quietFor)}${ctx.usage ? ` by the issuer and by ${ctx.usage.label} (no answer holds)` : ''}; holds (exit 3) after ${formatDuration(ctx.plan.lastUsed.maxWait)}`
      : 'no lastUsed rule: passes',
  act: startQuietWait,
  waitFor: withUsage(quietByIssuer, quietByUsage),
  askNow: (ctx) => usageNow(ctx, quietByUsage),
};
