// One plan, one run: build its providers, take its lock, load or start its rotation, and drive it
// until done, held, failed, interrupted, or (with --no-wait) waiting on a stored deadline.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { formatDuration } from '../shared/duration.js';
import type { LoadedPlan } from '../plan/load.js';
import type { KeyInfo, KeyIssuer } from '../providers/types.js';
import { createNotifier } from '../notify/notifier.js';
import { KeyrotError } from '../errors.js';
import { commandArg } from '../messages.js';
import { redact } from '../secrets/redact.js';
import { openState, type StateBackend } from '../state/open.js';
import type { AuditTrail, StateStore } from '../state/store.js';
import type { Clock } from './clock.js';
import { targetIdsOf, type RotationContext } from './context.js';
import type { Emit } from './events.js';
import { keepKeyList } from './keys.js';
import { inFlight, newRotation, type RotationState } from './rotation.js';
import { buildProviders, callProvider, type Providers } from './providers.js';
import { advance, type Consent, type Outcome } from './runner.js';

export interface SessionOptions {
  /** What --state said (a folder or vault://…), for hints; default `.keyrot/` beside the plan file. */
  stateDir?: string;
  /** Where state lives, built once per command from --state / KEYROT_STATE (default: from stateDir). */
  states?: StateBackend;
  /** Block through waits (default) or return at the first one (--no-wait). */
  wait: boolean;
  /** Start a new rotation only when the active key is older than schedule.maxAge. */
  due: boolean;
  waitLockMs: number;
  command: string;
  clock: Clock;
  signal: AbortSignal;
  emit: Emit;
  confirm(question: string): Promise<Consent>;
  /** Go on with a rotation that was rolled back. */
  resumeAfterRollback?: boolean;
  /** Move a state record that cannot be used (state-corrupt) aside instead of failing: keyrot abandon. */
  setAsideUnusableState?: boolean;
  /** Providers to use instead of those the plan names (tests drive the engine with fakes). */
  providers?: Providers;
}

/** The command's state backend (tests and older callers that pass only stateDir get one built from it). */
export const statesOf = (options: { states?: StateBackend; stateDir?: string }): StateBackend => options.states ?? openState(options.stateDir);

const newRotationId = (now: Date) => `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomBytes(2).toString('hex')}`;

/** Build the context phases run in, over a state store and an audit log. */
export function rotationContext(
  loaded: LoadedPlan,
  providers: Providers,
  state: RotationState,
  deps: { store: Pick<StateStore, 'save'>; audit: Pick<AuditTrail, 'append'>; clock: Clock; emit: Emit; lockLost?: () => string | undefined; signal?: AbortSignal; stateDir?: string },
): RotationContext {
  const notifier = createNotifier(loaded.plan.notify, { planDir: loaded.dir, emit: deps.emit, audit: deps.audit, now: () => deps.clock.now(), signal: deps.signal });
  const ctx: RotationContext = {
    plan: loaded.plan,
    planDir: loaded.dir,
    planArg: commandArg(loaded.file, deps.stateDir),
    ...providers,
    targetIds: targetIdsOf(loaded.plan),
    clock: deps.clock,
    emit: deps.emit,
    state,
    secrets: new Map(),
    async save() {
      ctx.state.updatedAt = deps.clock.now().toISOString();
      const saved = await deps.store.save(ctx.state);
      ctx.state.version = saved.version;
    },
    async record(action, detail, outcome = 'ok') {
      const { state: s } = ctx;
      // The audit line first: a crash between the two then leaves the step recorded and redone (a
      // duplicate line), never done and saved but missing from the log.
      await deps.audit.append({
        time: deps.clock.now().toISOString(), plan: s.plan, rotationId: s.rotationId, phase: s.phase, action,
        oldKeyId: s.oldKeyId, newKeyId: s.newKeyId, outcome, detail: redact(detail),
      });
      await ctx.save();
      deps.emit({ type: 'step', plan: s.plan, phase: s.phase === 'done' ? 'delete' : s.phase, action, detail: redact(detail) });
    },
    async audit(phase, outcome, detail, action) {
      const { state: s } = ctx;
      await deps.audit.append({
        time: deps.clock.now().toISOString(), plan: s.plan, rotationId: s.rotationId, phase, action: action ?? outcome,
        oldKeyId: s.oldKeyId, newKeyId: s.newKeyId, outcome, detail: redact(detail),
      });
    },
    notify: (outcome, message) => {
      const { state: s } = ctx;
      return notifier({
        plan: s.plan, rotationId: s.rotationId, outcome, phase: s.phase, oldKeyId: s.oldKeyId, newKeyId: s.newKeyId, fingerprint: s.newFingerprint, message,
      });
    },
    lockLost: deps.lockLost ?? (() => undefined),
    call: callProvider,
  };
  return ctx;
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

export interface PlanSession {
  loaded: LoadedPlan;
  providers: Providers;
  /** The plan's rotation as stored when the lock was taken (in flight, finished, or none). */
  saved: RotationState | undefined;
  /** A new rotation record that replaces the saved one on its first save. */
  fresh(): RotationState;
  context(state: RotationState): RotationContext;
  audit: AuditTrail;
  /** Where an unusable state record was moved (with setAsideUnusableState). */
  setAside?: { path: string; reason: string };
}

/** Build a plan's providers, take its lock, and run `fn` while holding it. */
export async function withPlan<T>(loaded: LoadedPlan, options: SessionOptions, fn: (session: PlanSession) => Promise<T>): Promise<T> {
  const { plan } = loaded;
  const store = await statesOf(options).of(loaded);
  const { audit } = store;
  const { clock, emit } = options;

  const providers = options.providers ?? (await buildProviders(loaded, store, emit, clock));
  const holder = { host: os.hostname(), pid: process.pid, command: options.command, since: new Date().toISOString() };
  const lock = await store.lock(plan.name, holder, options.waitLockMs);
  try {
    let setAside: PlanSession['setAside'];
    const saved = await store.load(plan.name).catch(async (e: unknown) => {
      if (!options.setAsideUnusableState || !(e instanceof KeyrotError) || e.code !== 'state-corrupt' || e.details.newer) throw e;
      setAside = { path: await store.setAside(plan.name), reason: e.message };
      return undefined;
    });
    return await fn({
      loaded,
      providers,
      saved,
      audit,
      ...(setAside ? { setAside } : {}),
      fresh: () => ({ ...newRotation(plan.name, clock.now(), newRotationId(clock.now())), version: saved?.version ?? 0 }),
      context: (state) => rotationContext(loaded, providers, state, { store, audit, clock, emit, lockLost: () => lock.lost, signal: options.signal, stateDir: options.stateDir }),
    });
  } finally {
    await lock.release();
  }
}

/** Advance a rotation until done, held, failed or interrupted; through waits unless --no-wait. */
export async function drive(ctx: RotationContext, options: SessionOptions): Promise<Outcome> {
  const { clock, emit } = options;
  const plan = ctx.plan;
  const resumed = ctx.state.updatedAt !== ctx.state.startedAt; // a fresh record has not been saved yet
  emit({ type: 'start', plan: plan.name, rotationId: ctx.state.rotationId, resumed, phase: ctx.state.phase === 'done' ? 'create' : ctx.state.phase });
  const auditOutcome = (phase: string, outcome: 'held' | 'failed', detail: string) =>
    ctx.audit(phase, outcome, detail);
  for (;;) {
    const outcome = await advance(ctx, {
      signal: options.signal, confirm: options.confirm, lockLost: ctx.lockLost, audit: auditOutcome, resumeAfterRollback: options.resumeAfterRollback,
    });
    if (outcome.status === 'done' && plan.rehearse && ctx.state.oldKeyId === null && !ctx.state.abandoned) {
      // A rehearsal: the first key was just issued; rotate it at once so every phase runs.
      ctx.state = { ...newRotation(plan.name, clock.now(), newRotationId(clock.now())), version: ctx.state.version };
      emit({ type: 'note', plan: plan.name, message: 'rehearsal (rehearse: true): rotating the first key through every phase now' });
      emit({ type: 'start', plan: plan.name, rotationId: ctx.state.rotationId, resumed: false, phase: 'create' });
      continue;
    }
    if (outcome.status !== 'waiting' || !options.wait) return outcome;
    try {
      await clock.sleepUntil(outcome.until, options.signal);
    } catch {
      return { status: 'interrupted' };
    }
  }
}

/** keyrot run: continue the rotation in flight, or start one (with --due, only when due). */
export function runSession(loaded: LoadedPlan, options: SessionOptions): Promise<Outcome> {
  return withPlan(loaded, options, async (session) => {
    let state = session.saved;
    let listed: KeyInfo[] | undefined;
    if (!inFlight(state)) {
      if (options.due) {
        const due = await dueReason(loaded, session.providers.issuer, options.clock.now());
        if (due.reason) {
          options.emit({ type: 'not-due', plan: loaded.plan.name, reason: due.reason });
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
