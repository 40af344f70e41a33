// Operator decisions on a rotation in flight, each taken under the plan lock and audited:
// rollback (bring the old key back), approve (allow the permanent delete), abandon (stop here).
import chalk from 'chalk';
import { actor, type AuditLog } from '../../audit/log.js';
import type { RotationContext } from '../../engine/context.js';
import { inFlight } from '../../engine/rotation.js';
import { rollBack } from '../../engine/runner.js';
import { withPlan } from '../../engine/session.js';
import { KeyrotError } from '../../errors.js';
import { EXIT } from '../../messages.js';
import { loadPlans } from '../load-plans.js';
import { pickReporter } from '../reporters/reporter.js';
import { sessionOptions, type CommonRunFlags } from '../session-options.js';
import { interruptSignal } from '../signals.js';

type Decision = (ctx: RotationContext) => Promise<string>;

const decisions: Record<'rollback' | 'approve' | 'abandon', Decision> = {
  async rollback(ctx) {
    await rollBack(ctx, `by hand (keyrot rollback, ${actor()})`);
    await ctx.audit(ctx.state.phase, 'ok', `rolled back by ${actor()}: ${ctx.state.oldKeyId} reactivated and served again`, 'rollback');
    return `${ctx.state.oldKeyId} is active and served again; the rotation is held.\n` +
      `Continue with \`keyrot run --resume-after-rollback ${ctx.planArg}\`, or stop with \`keyrot abandon ${ctx.planArg}\`.`;
  },
  async approve(ctx) {
    ctx.state.approvedBy = actor();
    await ctx.save();
    await ctx.audit(ctx.state.phase, 'ok', `permanent delete of ${ctx.state.oldKeyId} approved by ${ctx.state.approvedBy}`, 'approve');
    return `the delete of ${ctx.state.oldKeyId} is approved; it happens on the next \`keyrot run ${ctx.planArg}\` once the soak is over`;
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
    return `rotation abandoned; keys left as they are: old ${status(oldKeyId)}, new ${status(newKeyId)}. Clean up by hand if needed.`;
  },
};

/** abandon when the state record cannot be read: it was moved aside; the keys stay as they are. */
async function abandonUnusable(audit: AuditLog, plan: string, aside: { path: string; reason: string }): Promise<string> {
  await audit.append({
    time: new Date().toISOString(), plan, rotationId: 'unknown', phase: 'done', action: 'abandon', outcome: 'ok',
    detail: `unusable state moved to ${aside.path} by ${actor()}: ${aside.reason}`,
  });
  return `${aside.reason}.\n  It was moved to ${aside.path}; the rotation it recorded is abandoned with the keys as they are.\n` +
    '  `keyrot history` shows what that rotation did; the next `keyrot run` starts a new rotation from what the issuer and the stores hold.';
}

export async function operatorCommand(kind: keyof typeof decisions, args: string[], opts: CommonRunFlags): Promise<number> {
  const plans = await loadPlans(args, opts.state);
  if (plans.length !== 1) throw new KeyrotError('usage', { problem: `keyrot ${kind} takes exactly one plan` });
  const loaded = plans[0]!;
  const reporter = await pickReporter({ plain: true });
  const interrupt = interruptSignal(() => undefined);
  try {
    const options = sessionOptions(opts, reporter, interrupt.signal, { wait: false, due: false, command: `keyrot ${kind} ${args.join(' ')}` });
    const said = await withPlan(loaded, { ...options, setAsideUnusableState: kind === 'abandon' }, async (session) => {
      const { saved } = session;
      if (session.setAside) return abandonUnusable(session.audit, loaded.plan.name, session.setAside);
      if (!inFlight(saved)) {
        if (kind === 'rollback' && saved?.oldKeyId && !saved.abandoned) throw new KeyrotError('rollback-too-late', { plan: loaded.plan.name, keyId: saved.oldKeyId });
        throw new KeyrotError('no-rotation', { plan: loaded.plan.name });
      }
      return decisions[kind](session.context(saved!));
    });
    process.stdout.write(`${chalk.green('✔')} ${loaded.plan.name}: ${said}\n`);
    return EXIT.ok;
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
