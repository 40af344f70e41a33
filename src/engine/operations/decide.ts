// Operator decisions on a rotation in flight, each taken under the plan lock and audited:
// rollback (bring the old key back), approve (allow the permanent delete), abandon (stop here).
import { actor } from '../../audit/log.js';
import { KeyrotError } from '../../errors.js';
import { commandArg } from '../../messages.js';
import type { LoadedPlan } from '../../plan/load.js';
import type { RotationContext } from '../context.js';
import { keyToRetire } from '../abandoned-new-key.js';
import { servedBy, strayTargets } from '../keys.js';
import type { SessionOptions } from '../options.js';
import { retireNewKey } from '../phases/retire.js';
import { leftToDelete, leftToDeleteAdvice } from '../revoke-also.js';
import { inFlight } from '../rotation.js';
import { rollBack } from '../runner.js';
import { withPlan, type PlanSession } from '../session.js';

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

/** abandon may also retire the new key (keyrot abandon --retire-new). */
export type DecisionRequest = { decision: 'rollback' | 'approve'; retireNew?: never } | { decision: 'abandon'; retireNew?: boolean };

type Act = (ctx: RotationContext, request: DecisionRequest) => Promise<Pick<DecisionResult, 'outcome' | 'next'>>;

/**
 * Retire the new key of a rotation being abandoned: only when no target serves it, since its
 * consumers would be cut off (the old key's secret is not kept anywhere keyrot could publish it again).
 */
async function retireNew(ctx: RotationContext): Promise<string> {
  const { newKeyId, abandonedNewKey } = ctx.state;
  const keyId = keyToRetire(ctx.state);
  if (!keyId) return 'there was no new key to retire';
  const serving = newKeyId ? await servingNewKey(ctx) : await servingKey(ctx, keyId);
  if (serving.length) throw new KeyrotError('retire-new-served', { plan: ctx.plan.name, targets: serving.join(', '), keyId, ...(newKeyId ? {} : { abandoned: true }) });
  // No key of its own yet: the one a plain abandon left, which this rotation held at the key limit for.
  const left = newKeyId ? '' : ` left active by abandoned rotation ${abandonedNewKey!.rotationId}`;
  await retireNewKey(ctx, `abandoned by ${actor()} (keyrot abandon --retire-new)${left}`, keyId);
  return `the new key ${keyId}${left} was deleted`;
}

/** The targets that hold this rotation's new key (its id and fingerprint). */
async function servingNewKey(ctx: RotationContext): Promise<string[]> {
  const stray = new Set((await strayTargets(ctx)).map((t) => t.store));
  return ctx.stores.filter((s) => !stray.has(s)).map((s) => s.label);
}

/** The targets that serve `keyId` (a key whose secret keyrot no longer has: by id). */
async function servingKey(ctx: RotationContext, keyId: string): Promise<string[]> {
  const serving: string[] = [];
  for (const store of ctx.stores) if ((await servedBy(ctx.call, store))?.keyId === keyId) serving.push(store.label);
  return serving;
}

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
    const soakEnds = ctx.state.deadlines.soak;
    const soakOver = ctx.state.phase === 'delete' || (soakEnds !== undefined && Date.parse(soakEnds) <= ctx.clock.now().getTime());
    const when = soakOver ? 'on the next run (the soak is over)' : `once the soak is over${soakEnds ? ` (${soakEnds})` : ''}`;
    return { outcome: `the delete of ${ctx.state.oldKeyId} is approved; it happens ${when}`, next: `keyrot run ${ctx.planArg}` };
  },
  async abandon(ctx, request) {
    const { oldKeyId, newKeyId } = ctx.state;
    const retired = request.retireNew ? await retireNew(ctx) : undefined;
    const keys = await ctx.call(ctx.issuer, 'list', () => ctx.issuer.list());
    if (!ctx.state.abandoned) {
      ctx.state.abandoned = true;
      ctx.state.phase = 'done';
      ctx.state.completedAt = ctx.clock.now().toISOString();
      ctx.state.hold = null;
      await ctx.save();
      await ctx.audit('done', 'ok', `rotation abandoned by ${actor()}`, 'abandon');
    }
    const status = (id: string | null) => (id ? `${id} (${keys.find((k) => k.id === id)?.status ?? 'gone'})` : '(none)');
    // Leaked keys revoked inside it are not forgotten: the plan's next rotation takes them over and deletes them.
    const left = leftToDelete(ctx.state).filter((k) => keys.some((key) => key.id === k.keyId)).map((k) => k.keyId);
    const leaked = left.length > 0 ? `; ${leftToDeleteAdvice(left, ctx.planArg)}` : '';
    if (retired) return { outcome: `rotation abandoned; ${retired}; old key ${status(oldKeyId)}${leaked}`, next: null };
    // Two active keys: the next run could not tell which one is current. Until then, the new one can still be retired.
    const both = [oldKeyId, newKeyId].every((id) => keys.find((k) => k.id === id)?.status === 'active');
    // A rotation held at the key limit before it created a key: the key an earlier abandon left can still be retired.
    const carried = ctx.state.abandonedNewKey;
    const retirable = !newKeyId && carried && keys.some((k) => k.id === carried.keyId && k.status === 'active');
    if (retirable && (await servingKey(ctx, carried.keyId)).length === 0) {
      return {
        outcome: `rotation abandoned; it had created no key; ${carried.keyId}, the new key abandoned rotation ${carried.rotationId} left, is still active${leaked}; ` +
          'to retire it (if no target serves it), run the command below',
        next: `keyrot abandon --retire-new ${ctx.planArg}`,
      };
    }
    return {
      outcome: `rotation abandoned; keys left as they are: old ${status(oldKeyId)}, new ${status(newKeyId)}` +
        leaked + (both ? '; to retire the new key (if no target serves it), run the command below before the next run' : '. Clean up by hand if needed'),
      next: both ? `keyrot abandon --retire-new ${ctx.planArg}` : null,
    };
  },
};

/** abandon on a state record that cannot be used: withPlan moved it aside; the keys stay as they are. */
async function abandonUnusable(session: PlanSession, aside: NonNullable<PlanSession['setAside']>, planArg: string): Promise<DecisionResult> {
  const plan = session.loaded.plan.name;
  await session.audit.append({
    time: new Date().toISOString(), plan, rotationId: 'unknown', phase: 'done', action: 'abandon', outcome: 'ok',
    detail: `unusable state moved to ${aside.path} by ${actor()}: ${aside.reason}`,
  });
  return {
    plan, decision: 'abandon', oldKeyId: null, newKeyId: null,
    outcome: `${aside.reason}; it was moved to ${aside.path} and the rotation it recorded is abandoned with the keys as they are ` +
      '(`keyrot history` shows what it did); the next run starts a new rotation from what the issuer and the stores hold',
    next: `keyrot run ${planArg}`,
  };
}

/** Take one decision on the plan's rotation in flight; refused when there is none to take it on. */
export function decide(loaded: LoadedPlan, request: DecisionRequest, options: SessionOptions): Promise<DecisionResult> {
  const { decision } = request;
  const planArg = commandArg(loaded.file, options.states.spec);
  return withPlan(loaded, { ...options, setAsideUnusableState: decision === 'abandon' }, async (session) => {
    if (session.setAside) return abandonUnusable(session, session.setAside, planArg);
    const { saved } = session;
    // --retire-new also finishes what a plain abandon left: the new key of the rotation just abandoned.
    const abandonedNew = decision === 'abandon' && request.retireNew && saved?.abandoned && keyToRetire(saved);
    if (!inFlight(saved) && !abandonedNew) {
      if (decision === 'rollback' && saved?.oldKeyId && !saved.abandoned) throw new KeyrotError('rollback-too-late', { plan: loaded.plan.name, keyId: saved.oldKeyId });
      throw new KeyrotError('no-rotation', { plan: loaded.plan.name });
    }
    const ctx = session.context(saved!);
    const { oldKeyId, newKeyId } = ctx.state;
    return { plan: loaded.plan.name, decision, oldKeyId, newKeyId, ...(await acts[decision](ctx, request)) };
  }).catch((e: unknown) => {
    throw e instanceof KeyrotError ? e.about(planArg) : e; // its hint names the plan as given
  });
}
