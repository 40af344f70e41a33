// One plan, one run: build its providers, take its lock, load or start its rotation, and drive it
// until done, held, failed, interrupted, or (with --no-wait) waiting on a stored deadline.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { LoadedPlan } from '../plan/load.js';
import { createNotifier } from '../notify/notifier.js';
import { isKeyrotError, KeyrotError } from '../errors.js';
import { commandArg } from '../messages.js';
import { redact } from '../secrets/redact.js';
import type { AuditTrail, StateStore } from '../state/store.js';
import type { Clock } from './clock.js';
import { targetIdsOf, type RotationContext } from './context.js';
import type { Emit } from './events.js';
import type { SessionOptions } from './options.js';
import { newRotation, type RotationState } from './rotation.js';
import { buildProviders, callProvider, type Providers } from './providers.js';
import { outcomeOfError, type Outcome } from './outcome.js';
import { leftToDelete } from './revoke-also.js';
import { abandonedNewKeyOf } from './abandoned-new-key.js';
import { advance } from './runner.js';
import { takeLock } from './take-lock.js';

const newRotationId = (now: Date) => `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomBytes(2).toString('hex')}`;

/** Build the context phases run in, over a state store and an audit log. */
export function rotationContext(
  loaded: LoadedPlan,
  providers: Providers,
  state: RotationState,
  deps: { store: Pick<StateStore, 'save'>; audit: Pick<AuditTrail, 'append'>; clock: Clock; emit: Emit; lockLost?: () => string | undefined; signal?: AbortSignal; stateDir?: string },
): RotationContext {
  const notifier = createNotifier(loaded.plan.notify, { planDir: loaded.dir, warn: (w) => deps.emit({ type: 'warning', ...w }), audit: deps.audit, now: () => deps.clock.now(), signal: deps.signal });
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

export interface PlanSession {
  loaded: LoadedPlan;
  providers: Providers;
  /** The plan's rotation as stored when the lock was taken (in flight, finished, or none). */
  saved: RotationState | undefined;
  /** A new rotation record that replaces the saved one on its first save (taking over the leaked keys it left undeleted). */
  fresh(): RotationState;
  context(state: RotationState): RotationContext;
  audit: AuditTrail;
  /** Where an unusable state record was moved (with setAsideUnusableState). */
  setAside?: { path: string; reason: string };
}

/** Build a plan's providers, take its lock, and run `fn` while holding it. */
export async function withPlan<T>(loaded: LoadedPlan, options: SessionOptions, fn: (session: PlanSession) => Promise<T>): Promise<T> {
  const { plan } = loaded;
  const store = await options.states.of(loaded);
  const { audit } = store;
  const { clock } = options;
  const emit: Emit = (e) => options.reporter.event(e);

  const providers = options.providers ?? (await buildProviders(loaded, store, emit, clock));
  const holder = { host: os.hostname(), pid: process.pid, command: options.command, since: new Date().toISOString() };
  const lock = await takeLock(store, plan.name, holder, options.waitLockMs, emit, options.signal);
  const releaseAudit = audit.hold?.();
  try {
    let setAside: PlanSession['setAside'];
    const saved = await store.load(plan.name).catch(async (e: unknown) => {
      if (!options.setAsideUnusableState || !isKeyrotError(e, 'state-corrupt') || e.details.newer) throw e;
      setAside = { path: await store.setAside(plan.name), reason: e.message };
      return undefined;
    });
    return await fn({
      loaded,
      providers,
      saved,
      audit,
      ...(setAside ? { setAside } : {}),
      fresh: () => {
        const started = { ...newRotation(plan.name, clock.now(), newRotationId(clock.now())), version: saved?.version ?? 0 };
        // Leaked keys the last rotation revoked and never deleted (abandoned): this rotation's delete deletes them.
        const left = leftToDelete(saved);
        const abandonedNewKey = abandonedNewKeyOf(saved);
        return { ...started, ...(left.length > 0 ? { alsoRevoked: left } : {}), ...(abandonedNewKey ? { abandonedNewKey } : {}) };
      },
      context: (state) => rotationContext(loaded, providers, state, { store, audit, clock, emit, lockLost: () => lock.lost, signal: options.signal, stateDir: options.states.spec }),
    });
  } finally {
    await releaseAudit?.();
    await lock.release();
  }
}

/** Advance a rotation until done, held, failed or interrupted; through waits unless --no-wait. */
export async function drive(ctx: RotationContext, options: SessionOptions): Promise<Outcome> {
  const { clock } = options;
  const emit: Emit = (e) => options.reporter.event(e);
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

/** A failure before the rotation could start (lock held, provider set-up): reported, then an outcome. */
export const failedToStart = (loaded: LoadedPlan, options: SessionOptions) => (e: unknown): Outcome => {
  if (!(e instanceof KeyrotError)) throw e;
  if (e.code === 'interrupted') return { status: 'interrupted' }; // Ctrl-C while waiting for the lock: its caller says so
  e.about(commandArg(loaded.file, options.states.spec));
  const outcome = outcomeOfError(e);
  // A refusal (another run holds the lock) is a hold, as the summary and the exit code say: not a failure.
  const said = { plan: loaded.plan.name, code: e.code, message: e.message, hint: e.hint };
  options.reporter.event(outcome.status === 'held' ? { type: 'held', ...said, evidence: [] } : { type: 'failed', ...said });
  return outcome;
};
