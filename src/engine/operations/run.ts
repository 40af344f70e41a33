// keyrot run: advance every plan named, a few at once, each as far as its gates and timers allow:
// continue the rotation in flight, or start one (with --due, only when the active key is old enough).
import pLimit from 'p-limit';
import type { LoadedPlan } from '../../plan/load.js';
import type { KeyInfo, KeyIssuer } from '../../providers/types.js';
import { formatDuration } from '../../shared/duration.js';
import { keepKeyList } from '../keys.js';
import type { SessionOptions } from '../options.js';
import type { Outcome, PlanResult } from '../outcome.js';
import { callProvider } from '../providers.js';
import { inFlight } from '../rotation.js';
import { drive, failedToStart, withPlan } from '../session.js';

export interface RunRequest {
  /** Plans advanced at once. */
  concurrency: number;
  /** Also write every plan's metrics here, counting this run's outcomes (--metrics-file). */
  metricsFile?: string;
}

/** Why the plan is not due yet (undefined: it is), and the key list read to tell, when one was. */
async function dueReason(loaded: LoadedPlan, issuer: KeyIssuer, now: Date): Promise<{ reason?: string; keys?: KeyInfo[] }> {
  const maxAge = loaded.plan.schedule?.maxAge;
  if (maxAge === undefined) return { reason: 'the plan has no schedule.maxAge; with --due it is rotated only when one is set' };
  const keys = await callProvider(issuer, 'list', () => issuer.list());
  const active = keys.filter((k) => k.status === 'active');
  if (active.length === 0) return { keys };
  const newest = Math.max(...active.map((k) => k.createdAt.getTime()));
  const age = now.getTime() - newest;
  return age < maxAge ? { reason: `active key is ${formatDuration(age)} old; due at ${formatDuration(maxAge)}` } : { keys };
}

/** One plan: continue the rotation in flight, or start one (with --due, only when due). */
export function runSession(loaded: LoadedPlan, options: SessionOptions): Promise<Outcome> {
  return withPlan(loaded, options, async (session) => {
    let state = session.saved;
    let listed: KeyInfo[] | undefined;
    if (!inFlight(state)) {
      if (options.due) {
        const due = await dueReason(loaded, session.providers.issuer, options.clock.now());
        if (due.reason) {
          options.reporter.event({ type: 'not-due', plan: loaded.plan.name, reason: due.reason });
          return { status: 'not-due' };
        }
        listed = due.keys;
      }
      state = session.fresh();
    }
    const ctx = session.context(state!);
    // The new rotation starts with the create gate, at once and under the lock just taken: it takes
    // this list instead of reading the same one again.
    if (listed) keepKeyList(ctx, listed);
    return drive(ctx, options);
  });
}

/** Every plan, `concurrency` at a time; the summary, then (with a metrics file) every plan's metrics. */
export async function runPlans(plans: LoadedPlan[], request: RunRequest, options: SessionOptions): Promise<PlanResult[]> {
  const limit = pLimit(request.concurrency);
  const results = await Promise.all(
    plans.map((loaded) =>
      limit(async (): Promise<PlanResult> => {
        const plan = loaded.plan.name;
        if (options.signal.aborted) return { plan, outcome: { status: 'interrupted' } };
        const outcome = await runSession(loaded, options).catch(failedToStart(loaded, options));
        if (outcome.status === 'interrupted') options.reporter.event({ type: 'interrupted', plan });
        return { plan, outcome };
      }),
    ),
  );
  options.reporter.summary(results);
  if (request.metricsFile) await (await import('../metrics.js')).writeRunMetrics(request.metricsFile, plans, results, options);
  return results;
}
