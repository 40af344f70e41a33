// Drive the engine in-process over real files, with a fake clock and captured events.
import path from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import type { Outcome } from '../../src/engine/outcome.js';
import { beginRevoke } from '../../src/engine/revoke.js';
import type { Providers } from '../../src/engine/providers.js';
import { runSession } from '../../src/engine/operations/run.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { drive, withPlan, type PlanSession } from '../../src/engine/session.js';
import { openState } from '../../src/state/open.js';
import type { RotationContext } from '../../src/engine/context.js';
import { loadPlan, type LoadedPlan } from '../../src/plan/load.js';
import type { FakeClock } from './fake-clock.js';
import { readLedger, readStore } from './inspect.js';
import { localPlan, type Workspace } from './workspace.js';

export async function load(file: string): Promise<LoadedPlan> {
  const result = await loadPlan(file);
  if (!result.ok) throw new Error(`plan did not load: ${JSON.stringify(result.problems)}`);
  return result.loaded;
}

/** Local plans (a generated issuer, a file target) written to `ws`, each run once: its first key issued. */
export async function issuedPlans(ws: Workspace, clock: FakeClock, names: string[]): Promise<LoadedPlan[]> {
  const plans: LoadedPlan[] = [];
  for (const name of names) {
    const loaded = await load(ws.plan(name, localPlan(name)));
    const { outcome } = await run(loaded, clock);
    if (outcome.status !== 'done') throw new Error(`plan ${name} did not issue its first key: ${outcome.status}`);
    plans.push(loaded);
  }
  return plans;
}

/**
 * What a test asks of issuedPlans' folder (`workspace()` is read at each call: a fresh one per test):
 * its state folder, the key a plan's file target serves, the status a plan's ledger gives a key
 * ('gone' once deleted), and a plan made impossible to ask (its ledger unreadable).
 */
export function issuedLookups(workspace: () => Workspace) {
  const stateDir = () => path.join(workspace().dir, '.keyrot');
  return {
    stateDir,
    keyOf: (plan: string) => readStore(path.join(workspace().dir, `${plan}-keys.json`)).current!,
    statusIn: (plan: string, keyId: string) => readLedger(stateDir(), plan).find((k) => k.id === keyId)?.status ?? 'gone',
    unaskable: (plan: string) => workspace().write(`.keyrot/generated/${plan}.json`, '{cut short'),
  };
}

export interface RunResult {
  outcome: Outcome;
  events: RunEvent[];
}

export interface RunFlags {
  wait?: boolean;
  due?: boolean;
  confirm?: boolean;
  signal?: AbortSignal;
  waitLockMs?: number;
  providers?: Providers;
  resumeAfterRollback?: boolean;
}

/** What a command would hand the engine, over the default state folders, with a fake clock. */
export function sessionOptions(clock: FakeClock, events: RunEvent[], options: RunFlags): SessionOptions {
  return {
    states: openState(undefined),
    wait: options.wait ?? true,
    due: options.due ?? false,
    waitLockMs: options.waitLockMs ?? 0,
    command: 'keyrot test',
    clock,
    signal: options.signal ?? new AbortController().signal,
    reporter: { event: (e) => events.push(e), summary: () => undefined },
    confirm: async () => ((options.confirm ?? true) ? 'yes' : 'no'),
    providers: options.providers,
    resumeAfterRollback: options.resumeAfterRollback,
  };
}

export async function run(loaded: LoadedPlan, clock: FakeClock, options: RunFlags = {}): Promise<RunResult> {
  const events: RunEvent[] = [];
  const outcome = await runSession(loaded, sessionOptions(clock, events, options));
  return { outcome, events };
}

/** As `keyrot revoke` does it: take the lock, pick the rotation record, drive it until it waits. */
export async function revoke(loaded: LoadedPlan, clock: FakeClock, keyId: string, options: RunFlags = {}): Promise<RunResult> {
  const events: RunEvent[] = [];
  const opts = sessionOptions(clock, events, { wait: false, ...options });
  const outcome = await withPlan(loaded, opts, async (session) => {
    const start = await beginRevoke(session, keyId);
    if ('nothing' in start) return { status: 'done' as const };
    return drive(session.context(start.state), opts);
  });
  return { outcome, events };
}

/** Run an operator decision (rollback, approve, abandon) on the rotation in flight, under the lock. */
export async function decide<T>(loaded: LoadedPlan, clock: FakeClock, fn: (ctx: RotationContext, session: PlanSession) => Promise<T>, options: RunFlags = {}): Promise<T> {
  const opts = sessionOptions(clock, [], options);
  return withPlan(loaded, opts, (session) => fn(session.context(session.saved!), session));
}

export { stateDirOf } from '../../src/state/location.js';

/** A plan as the loader would return it, without going through YAML (for fields only fakes use). */
export const planObject = (dir: string, plan: Record<string, unknown>): LoadedPlan =>
  ({ file: path.join(dir, 'plan.yaml'), dir, plan: { verify: true, drain: 900_000, soak: 604_800_000, rehearse: false, delete: { requireApproval: false }, ...plan } }) as unknown as LoadedPlan;
