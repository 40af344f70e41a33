// drain: the overlap window. Both keys are valid while consumers reload (the plan's notify hooks are
// told to, once the deadline is on disk); the wait is a stored deadline, never a sleep (invariant 9).
import { formatDuration } from '../../shared/duration.js';
import type { RotationContext } from '../context.js';
import { deadline, waitForDeadline, type PhaseStory } from './phase.js';

async function startOverlap(ctx: RotationContext): Promise<void> {
  // Written with the next save, before the wait or the reload notice (runner.ts).
  const until = deadline(ctx, 'drain', ctx.clock.now(), ctx.plan.drain);
  ctx.emit({ type: 'note', plan: ctx.plan.name, phase: 'drain', message: `both keys valid until ${until.toISOString()} (${formatDuration(ctx.plan.drain)} overlap)` });
}

export const drain: PhaseStory = {
  calls: () => [],
  guards: (ctx) => `waits ${formatDuration(ctx.plan.drain)} (stored deadline)`,
  act: startOverlap,
  waitFor: waitForDeadline('drain', 'overlap window'),
};
