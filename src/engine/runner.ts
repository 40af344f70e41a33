// The one loop that advances a rotation: gate, side effect, persist, wait, next, as the phase table
// (phases/table.ts) says. Every wait returns to the caller as a stored deadline; nothing here sleeps.
import { KeyrotError, reasonOf } from '../errors.js';
import { EXIT, say } from '../messages.js';
import { redact } from '../secrets/redact.js';
import type { RotationContext } from './context.js';
import { hold, open, type GateResult } from './gate.js';
import type { Phase, Redirect } from './phases/phase.js';
import { PHASES } from './phases/table.js';
import { outcomeOfError, type Outcome } from './outcome.js';
import { finishAlsoRevoked } from './revoke-also.js';
import { PHASE_NAMES } from './rotation.js';

/**
 * The answer to "go ahead with a permanent step?": given, declined, or nobody to ask (no terminal
 * and no --yes), which holds the step as `terraform apply` does without -auto-approve.
 */
export type Consent = 'yes' | 'no' | 'unattended';

export interface AdvanceOptions {
  signal: AbortSignal;
  /** Asked before a permanent side effect. */
  confirm(question: string): Promise<Consent>;
  /** Why the plan lock was lost, if it was: stop before the next step. */
  lockLost(): string | undefined;
  audit(action: string, outcome: 'held' | 'failed', detail: string): Promise<void>;
  /** Go on with a rotation that was rolled back (keyrot run --resume-after-rollback). */
  resumeAfterRollback?: boolean;
}

const MAX_RESTARTS = 2;

// When state is written (invariant 5: persisted after every side effect and before the next one).
// `ctx.save()` writes at once: after a side effect (ctx.record), and the 'acting' mark before the side
// effect of a phase that resumes by checking or recovering. What the walk does between two side
// effects is bookkeeping: a phase done ('waiting'), the next one 'ready', a redo phase begun, a
// deadline computed. That stays in memory and reaches disk with the next save, before a wait, or
// when the walk stops. A crash in between resumes from the last step written, which every phase's
// resume rule already handles: a redo phase runs again, a finished one is checked. The crash tests
// kill keyrot right after each of these saves (test/helpers/faults.mjs wraps the state store).

type Held = Exclude<GateResult, { kind: 'open' }>;

/** Stop at a gate or wait that did not open: record a hold, or hand back the deadline. */
async function settle(ctx: RotationContext, phase: Phase, gate: Held, options: AdvanceOptions): Promise<Outcome> {
  if (gate.kind === 'wait') {
    // The deadline is on disk before anyone is shown the countdown: a run killed now resumes the same one.
    await ctx.save();
    ctx.emit({ type: 'waiting', plan: ctx.plan.name, phase: phase.name, until: gate.until.toISOString(), reason: gate.reason });
    return { status: 'waiting', until: gate.until };
  }
  if (gate.rollBack) await rollBack(ctx, `${gate.code}: ${gate.evidence.join('; ')}`);
  if (gate.goBack) Object.assign(ctx.state, { phase: gate.goBack, stage: 'ready' });
  const { message, hint } = say(gate.code, { ...gate.details, file: ctx.planArg });
  ctx.state.hold = { code: gate.code, message: redact(message), since: ctx.clock.now().toISOString(), evidence: gate.evidence };
  await ctx.save();
  await options.audit(phase.name, 'held', `${gate.code}: ${message}`);
  ctx.emit({ type: 'held', plan: ctx.plan.name, phase: phase.name, code: gate.code, message, hint, evidence: gate.evidence });
  await ctx.notify('held', message);
  return { status: 'held', code: gate.code };
}

/** Evidence a gate asks the audit log to keep (a usage query, its value, when), whatever it decided. */
async function auditEvidence(ctx: RotationContext, phase: Phase, result: GateResult): Promise<void> {
  for (const line of result.audited ?? []) await ctx.audit(phase.name, 'ok', line, 'gate-evidence');
}

const showEvidence = (ctx: RotationContext, phase: Phase, evidence: string[]) => {
  for (const message of evidence) ctx.emit({ type: 'note', plan: ctx.plan.name, phase: phase.name, message });
};

/** Walk the phases; what the last steps changed (a wait's deadline, where it stopped) is written before returning. */
async function walk(ctx: RotationContext, options: AdvanceOptions): Promise<Outcome> {
  const outcome = await steps(ctx, options);
  await ctx.save(); // writes nothing if the last step was written already
  return outcome;
}

async function steps(ctx: RotationContext, options: AdvanceOptions): Promise<Outcome> {
  let restarts = 0;
  const redirect = async (to: Redirect) => {
    if (++restarts > MAX_RESTARTS) throw new KeyrotError('invariant', { phase: ctx.state.phase, reason: 'the new key keeps getting lost' });
    ctx.emit({ type: 'note', plan: ctx.plan.name, message: to.reason ?? `no copy of key ${ctx.state.newKeyId} survived; going back to ${to.restartAt}` });
    ctx.state.phase = to.restartAt;
    ctx.state.stage = 'acting'; // recover: whatever that phase left half-done is cleaned up first
    await ctx.save();
  };

  // A leaked key whose revoke a run began inside this rotation and did not finish: revoke first.
  await finishAlsoRevoked(ctx);
  if (ctx.state.rolledBack) {
    const phase = PHASES[ctx.state.phase === 'done' ? 'delete' : ctx.state.phase];
    if (!options.resumeAfterRollback) return settle(ctx, phase, hold('rolled-back', { plan: ctx.plan.name, reason: ctx.state.rolledBack.reason }) as Held, options);
    ctx.emit({ type: 'note', plan: ctx.plan.name, message: `resuming after the rollback of ${ctx.state.rolledBack.at}` });
    ctx.state.rolledBack = null;
    ctx.state.hold = null;
    await ctx.save();
  }

  while (ctx.state.phase !== 'done') {
    if (options.signal.aborted) return { status: 'interrupted' };
    const lost = options.lockLost();
    if (lost) throw new KeyrotError('lock-lost', { plan: ctx.plan.name, reason: lost });
    const phase = PHASES[ctx.state.phase];

    if (ctx.state.stage !== 'waiting') {
      let to: void | Redirect;
      if (ctx.state.stage === 'ready') {
        const gate = phase.gate ? await phase.gate(ctx) : open();
        await auditEvidence(ctx, phase, gate);
        if (gate.kind !== 'open') return settle(ctx, phase, gate, options);
        ctx.emit({ type: 'phase', plan: ctx.plan.name, phase: phase.name, summary: phase.summary });
        showEvidence(ctx, phase, gate.evidence);
        const keys = phase.keys ? phase.keys(ctx) : ctx.state.oldKeyId;
        // No key left to delete (the delete's revoked key made room for its replacement): nothing to ask.
        const consent = phase.permanent && keys ? await options.confirm(`plan ${ctx.plan.name}: ${phase.summary}: ${keys}. Go ahead?`) : 'yes';
        if (consent !== 'yes') {
          const code = consent === 'no' ? 'delete-declined' : 'delete-unattended';
          return settle(ctx, phase, hold(code, { keyId: keys }) as Held, options);
        }
        ctx.state.stage = 'acting';
        // A redo phase found 'acting' or 'ready' on resume does the same: runs again from its start.
        // A phase that saves before its first side effect (create, with its key list) writes 'acting' then.
        if (phase.onResume !== 'redo' && !phase.savesBeforeActing) await ctx.save();
        to = await phase.act(ctx);
      } else {
        ctx.emit({ type: 'note', plan: ctx.plan.name, phase: phase.name, message: `resuming ${phase.name}: it was interrupted (${phase.onResume})` });
        to = phase.onResume === 'redo' || !phase.resume ? await phase.act(ctx) : await phase.resume(ctx);
      }
      if (to) {
        await redirect(to);
        continue;
      }
      if (phase.announces) {
        // Consumers told to reload count on the overlap deadline they were told about: on disk first.
        if (ctx.plan.notify?.length) await ctx.save();
        await ctx.notify(phase.announces);
      }
    }

    if (ctx.state.stage !== 'waiting' || ctx.state.hold) {
      ctx.state.stage = 'waiting';
      ctx.state.hold = null;
    }
    const waited = phase.waitFor ? await phase.waitFor(ctx) : open();
    await auditEvidence(ctx, phase, waited);
    if (waited.kind !== 'open') return settle(ctx, phase, waited, options);
    showEvidence(ctx, phase, waited.evidence);

    ctx.state.phase = phase.next(ctx);
    ctx.state.stage = 'ready';
    const back = ctx.state.resumeAt; // a phase a revoke interrupted: go on where it stood
    if (back) ctx.state.stage = back.phase === ctx.state.phase ? back.stage : 'ready';
    ctx.state.resumeAt = null;
    if (ctx.state.phase === 'done') ctx.state.completedAt = ctx.clock.now().toISOString();
  }

  const { state } = ctx;
  await ctx.notify('done');
  ctx.emit({
    type: 'done', plan: ctx.plan.name, rotationId: state.rotationId, oldKeyId: state.oldKeyId, newKeyId: state.newKeyId!,
    fingerprint: state.newFingerprint!, startedAt: state.startedAt, completedAt: state.completedAt!,
  });
  return { status: 'done' };
}

/** Advance the rotation as far as gates and timers allow. Failures are reported, recorded and returned. */
export async function advance(ctx: RotationContext, options: AdvanceOptions): Promise<Outcome> {
  try {
    return await walk(ctx, options);
  } catch (e) {
    const phase = ctx.state.phase === 'done' ? undefined : ctx.state.phase;
    // What the walk knew when it stopped (the steps since the last side effect) is written, as it is
    // when the walk returns: a re-run starts from there. Not after a bug (that state may be what is
    // wrong), nor once the lock is lost (the record is someone else's now); a refusal saves its hold below.
    if (e instanceof KeyrotError && e.exitCode !== EXIT.refused) await ctx.save().catch(() => undefined);
    if (e instanceof KeyrotError && e.code === 'interrupted') return { status: 'interrupted' };
    if (e instanceof KeyrotError) e.about(ctx.planArg);
    if (!(e instanceof KeyrotError)) {
      const bug = new KeyrotError('internal', { reason: reasonOf(e) });
      ctx.emit({ type: 'failed', plan: ctx.plan.name, phase, code: bug.code, message: redact(String((e as Error)?.stack ?? e)), hint: bug.hint });
      await options.audit(phase ?? 'done', 'failed', `internal error: ${(e as Error)?.message ?? e}`).catch(() => undefined);
      await ctx.notify('failed', 'internal error in keyrot').catch(() => undefined);
      return { status: 'failed', code: bug.code, exitCode: bug.exitCode };
    }
    if (e.exitCode === EXIT.refused && phase && e.code !== 'lock-lost') {
      ctx.state.hold = { code: e.code, message: redact(e.message), since: ctx.clock.now().toISOString(), evidence: [] };
      await ctx.save().catch(() => undefined);
    }
    await options.audit(phase ?? 'done', 'failed', `${e.code}: ${e.message}`).catch(() => undefined);
    ctx.emit({ type: 'failed', plan: ctx.plan.name, phase, code: e.code, message: e.message, hint: e.hint });
    await ctx.notify(e.exitCode === EXIT.refused ? 'held' : 'failed', e.message);
    return outcomeOfError(e);
  }
}

/**
 * Undo the most recent reversible phase (the deactivation): the old key serves again, and the
 * rotation goes back to before that phase, held until resumed or abandoned.
 */
export async function rollBack(ctx: RotationContext, reason: string): Promise<void> {
  const { state } = ctx;
  const plan = ctx.plan.name;
  if (state.mode === 'revoke') throw new KeyrotError('nothing-to-roll-back', { plan, reason: 'the old key was revoked (leaked) and is not brought back' });
  const here = state.phase === 'done' ? PHASE_NAMES.length : PHASE_NAMES.indexOf(state.phase);
  const reversible = PHASE_NAMES.slice(0, here + 1)
    .map((name) => PHASES[name])
    .filter((p) => p.undo && (PHASE_NAMES.indexOf(p.name) < here || state.stage !== 'ready'))
    .pop();
  if (!reversible) throw new KeyrotError('nothing-to-roll-back', { plan, reason: 'the old key has not been deactivated yet' });
  await ctx.save(); // the steps walked since the last side effect, on disk before this one
  state.phase = (await reversible.undo!(ctx)) ?? reversible.name;
  state.stage = 'ready';
  state.rolledBack = { at: ctx.clock.now().toISOString(), reason: redact(reason) };
  await ctx.save();
  ctx.emit({ type: 'note', plan, message: `rolled back: ${state.oldKeyId} is active and served again` });
  await ctx.notify('rolled-back', reason);
}
