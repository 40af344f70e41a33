// What one row of the phase table is (table.ts), and the small helpers every phase's story uses.
import { KeyrotError } from '../../errors.js';
import type { NotifyOutcome } from '../../notify/notice.js';
import type { SecretStore } from '../../providers/types.js';
import type { RotationContext } from '../context.js';
import { open, waitUntil, type GateResult } from '../gate.js';
import type { PhaseName } from '../rotation.js';

/** What a phase asks of the runner after its side effect, beyond "carry on": go back, and why. */
export type Redirect = { restartAt: PhaseName; reason?: string };

/** A phase's story: what it checks, does, finishes after a crash, undoes, and waits for. */
export interface PhaseStory {
  /** The provider calls the phase makes, for `keyrot plan`. */
  calls(ctx: RotationContext): string[];
  /** What the gate and the wait check, for `keyrot plan`. */
  guards?(ctx: RotationContext): string;
  /** Must hold before the side effect. Read-only. */
  gate?(ctx: RotationContext): Promise<GateResult>;
  /** For `keyrot plan`, where `gate` cannot be previewed: what asking now would say (the usage query). Read-only. */
  askNow?(ctx: RotationContext): Promise<GateResult | undefined>;
  /** The side effect. Idempotent where `onResume` is redo or check. */
  act(ctx: RotationContext): Promise<void | Redirect>;
  /** For `check` and `recover`: finish a side effect that may have been cut short. */
  resume?(ctx: RotationContext): Promise<void | Redirect>;
  /** Reverse the side effect (rollback); only for phases whose effect can be undone. Resolves the phase
   *  to resume from when it is not this one (a target had to be published to again). */
  undo?(ctx: RotationContext): Promise<void | PhaseName>;
  /** After the side effect: the condition to wait for before the next phase. Read-only. */
  waitFor?(ctx: RotationContext): Promise<GateResult>;
  /** Where to go from here, when it is not simply the next phase in PHASE_NAMES. */
  next?(ctx: RotationContext): PhaseName | 'done';
  /** The keys the side effect acts on, as its question names them, when not just the old key. */
  keys?(ctx: RotationContext): string;
}

export interface Phase extends PhaseStory {
  name: PhaseName;
  summary: string;
  /** What to do when state says the side effect started but may not have finished. */
  onResume: 'redo' | 'check' | 'recover';
  /** What the plan's notify hooks hear once the side effect is done. */
  announces?: NotifyOutcome;
  /** Asks for confirmation first (unless --yes): the side effect cannot be undone. */
  permanent?: boolean;
  /** The gate reads only what providers hold now, so `keyrot plan` can evaluate it ahead of time. */
  previewGate?: boolean;
  /** Its act writes state itself before its first side effect, so the runner need not write 'acting' first. */
  savesBeforeActing?: boolean;
  next(ctx: RotationContext): PhaseName | 'done';
}

/** The deadline of `phase`, set once (from `from` + `ms`) and kept: a re-run continues the same countdown. */
export const deadline = (ctx: RotationContext, phase: PhaseName, from: Date, ms: number): Date => {
  ctx.state.deadlines[phase] ??= new Date(from.getTime() + ms).toISOString();
  return new Date(ctx.state.deadlines[phase]!);
};

export const waitForDeadline = (phase: PhaseName, reason: string) => async (ctx: RotationContext): Promise<GateResult> => {
  const until = new Date(ctx.state.deadlines[phase]!);
  return ctx.clock.now() >= until ? open() : waitUntil(until, reason);
};

/** The key being retired; a rotation that has none here is a bug, refused before anything is touched. */
export const oldKey = (ctx: RotationContext): string => {
  if (!ctx.state.oldKeyId) throw new KeyrotError('invariant', { phase: ctx.state.phase, reason: 'no old key recorded' });
  return ctx.state.oldKeyId;
};

/**
 * One store's retire hook, recorded as what it did: a change, or (skipped) nothing of the key left to
 * change there, e.g. done by a run that died before recording it.
 */
export async function retireIn(ctx: RotationContext, store: SecretStore, hook: 'onDeactivate' | 'onReactivate' | 'onDelete', keyId: string, action: string, done: string): Promise<void> {
  const result = await ctx.call(store, hook, () => store[hook](keyId));
  if (result === 'unchanged') await ctx.record(action, `${store.label}: found nothing of ${keyId} left to change`, 'skipped');
  else await ctx.record(action, done);
}
