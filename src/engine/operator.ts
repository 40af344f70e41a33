// Operator decisions on a rotation in flight, each taken under the plan lock and audited:
// rollback (bring the old key back), approve (allow the permanent delete), abandon (stop here).
import { actor } from '../audit/log.js';
import { KeyrotError } from '../errors.js';
import type { LoadedPlan } from '../plan/load.js';
import type { RotationContext } from './context.js';
import { inFlight } from './rotation.js';
import { rollBack } from './runner.js';
import { withPlan, type SessionOptions } from './session.js';

export type Decision = 'rollback' | 'approve' | 'abandon';

export interface DecisionResult {
  plan: string;
  decision: Decision;
  oldKeyId: string | null;
  newKeyId: string | null;
  /** What was done, in a sentence. */
  outcome: string;
  /** The command to run next, if any (it works when pasted). */
  next: string | null;
}

type Act = (ctx: RotationContext) => Promise<Pick<DecisionResult, 'outcome' | 'next'>>;

const acts: Record<Decision, Act> = {
  async rollback(ctx) {
    await rollBack(ctx, `by hand (keyrot rollback, ${actor()})`);
    await ctx.audit(ctx.state.phase, 'ok', `rolled back by ${actor()}: ${ctx.state.oldKeyId} reactivated and served again`, 'rollback');
    return {
      outcome: `${ctx.state.oldKeyId} is active and served again; the rotation is held (stop it instead with \`keyrot abandon ${ctx.planArg}\`)`,
      next: `keyrot run --resume-after-rollback ${ctx.planArg}`,
    };
  },
  async approve(ctx) {
    ctx.state.approvedBy = actor();
    await ctx.save();
    await ctx.audit(ctx.state.phase, 'ok', `permanent delete of ${ctx.state.oldKeyId} approved by ${ctx.state.approvedBy}`, 'approve');
    return { outcome: `the delete of ${ctx.state.oldKeyId} is approved; it happens once the soak is over`, next: `keyrot run ${ctx.planArg}` };
  },
  async abandon(ctx) {
    const { oldKeyId, newKeyId } = ctx.state;
    const keys = await ctx.call(ctx.issuer, 'list', () => ctx.issuer.list());
    ctx.state.abandoned = true;
    ctx.state.phase = 'done';
    ctx.state.completedAt = ctx.clock.now().toISOString();
    ctx.state.hold = null;
    await ctx.save();
    await ctx.audit('done', 'ok', `rotation abandoned by ${actor()}`, 'abandon');
    const status = (id: string | null) => (id ? `${id} (${keys.find((k) => k.id === id)?.status ?? 'gone'})` : '(none)');
    return { outcome: `rotation abandoned; keys left as they are: old ${status(oldKeyId)}, new ${status(newKeyId)}. Clean up by hand if needed`, next: null };
  },
};

/** Take one decision on the plan's rotation in flight; refused when there is none to take it on. */
export function decide(loaded: LoadedPlan, decision: Decision, options: SessionOptions): Promise<DecisionResult> {
  return withPlan(loaded, options, async (session) => {
    const { saved } = session;
    if (!inFlight(saved)) {
      if (decision === 'rollback' && saved?.oldKeyId && !saved.abandoned) throw new KeyrotError('rollback-too-late', { plan: loaded.plan.name, keyId: saved.oldKeyId });
      throw new KeyrotError('no-rotation', { plan: loaded.plan.name });
    }
    const ctx = session.context(saved!);
    const { oldKeyId, newKeyId } = ctx.state;
    return { plan: loaded.plan.name, decision, oldKeyId, newKeyId, ...(await acts[decision](ctx)) };
  });
}
