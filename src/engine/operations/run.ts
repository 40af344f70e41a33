// keyrot run: advance every plan named, a few at once, each as far as its gates and timers allow:
// continue the rotation in flight, or start one (with --due, only when the active key is old enough).
import pLimit from 'p-limit';
import type { LoadedPlan } from '../../plan/load.js';
import type { KeyInfo } from '../../providers/types.js';
import { issuerTraits } from '../../providers/registry.js';
import type { StateStore } from '../../state/store.js';
import { dueReason, firstLook, issuerLook, type FirstLook } from '../due.js';
import { keepKeyList } from '../keys.js';
import type { SessionOptions } from '../options.js';
import type { Outcome, PlanResult } from '../outcome.js';
import { buildIssuer, readLedger } from '../providers.js';
import { inFlight } from '../rotation.js';
import { drive, failedToStart, withPlan } from '../session.js';

export interface RunRequest {
  /** Plans advanced at once. */
  concurrency: number;
  /** Also write every plan's metrics here, counting this run's outcomes (--metrics-file). */
  metricsFile?: string;
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

/**
 * With --due, what each plan's record says before any lock is taken (StateStore.peek: many records
 * at once, a page at a time); without it every plan is locked, and nothing is read first. A store
 * that cannot be listed leaves its plans to be locked, where the real error is reported.
 */
async function* firstLooks(plans: LoadedPlan[], options: SessionOptions): AsyncGenerator<[LoadedPlan, FirstLook]> {
  if (!options.due) {
    for (const loaded of plans) yield [loaded, { lock: true }];
    return;
  }
  const groups = new Map<StateStore, Map<string, LoadedPlan>>();
  for (const loaded of plans) {
    const store = await options.states.of(loaded).catch(() => undefined);
    if (!store) {
      yield [loaded, { lock: true }];
      continue;
    }
    if (!groups.has(store)) groups.set(store, new Map());
    groups.get(store)!.set(loaded.plan.name, loaded);
  }
  for (const [store, byName] of groups) {
    const looks = new Map<string, FirstLook>();
    try {
      for await (const page of store.peek([...byName.keys()])) for (const p of page) looks.set(p.plan, firstLook(byName.get(p.plan)!, p));
      // Keys that are keyrot's own ledger (generated): read many ledgers at once; their issuer then asks nothing.
      const ledgered = [...looks].filter(([plan, look]) => 'askIssuer' in look && issuerTraits(byName.get(plan)!.plan.source.type).keysInLedger).map(([plan]) => plan);
      if (ledgered.length > 0) {
        for await (const page of store.peekLedgers(ledgered)) for (const { plan, keys } of page) if (keys) looks.set(plan, { askIssuer: true, ledger: keys });
      }
    } catch {
      // Not listed: those plans are locked, and each session says what is wrong.
    }
    for (const [plan, loaded] of byName) yield [loaded, looks.get(plan) ?? { lock: true }];
  }
}

/** One plan: skipped without its lock when its first look says it is not due, else run under the lock. */
async function runOne(loaded: LoadedPlan, first: FirstLook, options: SessionOptions): Promise<Outcome> {
  let look = first;
  if ('askIssuer' in look) {
    const store = await options.states.of(loaded);
    const ledger = look.ledger && readLedger(store.ledger(loaded.plan.name).where, look.ledger);
    const issuer = options.providers?.issuer ?? (await buildIssuer(loaded, store, (e) => options.reporter.event(e), options.clock, ledger));
    look = await issuerLook(loaded, issuer, options.clock.now());
  }
  if ('lock' in look && !look.lock) {
    options.reporter.event({ type: 'not-due', plan: loaded.plan.name, reason: look.reason });
    return { status: 'not-due' };
  }
  return runSession(loaded, options);
}

/** Every plan, `concurrency` at a time; the summary, then (with a metrics file) every plan's metrics. */
export async function runPlans(plans: LoadedPlan[], request: RunRequest, options: SessionOptions): Promise<PlanResult[]> {
  const limit = pLimit(request.concurrency);
  const order = new Map(plans.map((loaded, i) => [loaded, i]));
  const results: PlanResult[] = new Array<PlanResult>(plans.length);
  const running: Promise<void>[] = [];
  for await (const [loaded, look] of firstLooks(plans, options)) {
    running.push(
      limit(async () => {
        const plan = loaded.plan.name;
        const outcome = options.signal.aborted ? ({ status: 'interrupted' } as const) : await runOne(loaded, look, options).catch(failedToStart(loaded, options));
        if (outcome.status === 'interrupted') options.reporter.event({ type: 'interrupted', plan });
        results[order.get(loaded)!] = { plan, outcome };
      }),
    );
  }
  await Promise.all(running);
  options.reporter.summary(results);
  if (request.metricsFile) await (await import('../metrics.js')).writeRunMetrics(request.metricsFile, plans, results, options);
  return results;
}
