// keyrot revoke: the incident path. Revoke first (deactivate the leaked key now), then replace it,
// then show what it last touched. The permanent delete waits for `--delete` after the soak.
import { actor } from '../../audit/log.js';
import { systemClock } from '../../engine/clock.js';
import { beginRevoke } from '../../engine/revoke.js';
import type { RotationState } from '../../engine/rotation.js';
import { exitCodeOf } from '../../engine/runner.js';
import { buildProviders, callProvider } from '../../engine/providers.js';
import { drive, withPlan } from '../../engine/session.js';
import { KeyrotError } from '../../errors.js';
import { EXIT } from '../../messages.js';
import type { LoadedPlan } from '../../plan/load.js';
import { FileStateStore } from '../../state/file-store.js';
import { stateDirOf } from '../../state/location.js';
import { loadPlans } from '../load-plans.js';
import { pickReporter, type Reporter } from '../reporters/reporter.js';
import { isInteractive, sessionOptions, type CommonRunFlags } from '../session-options.js';
import { interruptSignal } from '../signals.js';
import { reportedFailure } from './run.js';

export interface RevokeOptions extends CommonRunFlags {
  key?: string;
  delete?: boolean;
  plain?: boolean;
}

/** Which plan owns the key: the one whose issuer lists it, or whose revoke is in flight for it. */
async function findOwner(plans: LoadedPlan[], keyId: string, opts: RevokeOptions, reporter: Reporter): Promise<LoadedPlan> {
  const owners: LoadedPlan[] = [];
  let finished: RotationState | undefined;
  for (const loaded of plans) {
    const revoking = await new FileStateStore(stateDirOf(loaded, opts.state)).load(loaded.plan.name);
    if (revoking?.mode === 'revoke' && revoking.oldKeyId === keyId) {
      if (revoking.phase !== 'done') {
        owners.push(loaded);
        continue;
      }
      finished = revoking;
    }
    const { issuer } = await buildProviders(loaded, stateDirOf(loaded, opts.state), (e) => reporter.event(e), systemClock);
    if ((await callProvider(issuer, 'list', () => issuer.list())).some((k) => k.id === keyId)) owners.push(loaded);
  }
  if (owners.length === 0 && finished) {
    throw new KeyrotError('revoke-finished', { keyId, plan: finished.plan, rotationId: finished.rotationId, at: finished.completedAt });
  }
  if (owners.length === 0) throw new KeyrotError('revoke-no-owner', { keyId, asked: plans.map((p) => p.plan.name).join(', ') });
  if (owners.length > 1) throw new KeyrotError('revoke-many-owners', { keyId, owners: owners.map((p) => `${p.plan.name} (${p.file})`).join(', ') });
  return owners[0]!;
}

/** Without --key: the key the plan's consumers use now (or the one its revoke in flight is about). */
async function currentKey(loaded: LoadedPlan, opts: RevokeOptions, reporter: Reporter): Promise<string> {
  const saved = await new FileStateStore(stateDirOf(loaded, opts.state)).load(loaded.plan.name);
  if (saved?.mode === 'revoke' && saved.phase !== 'done' && saved.oldKeyId) return saved.oldKeyId;
  const { issuer, stores } = await buildProviders(loaded, stateDirOf(loaded, opts.state), (e) => reporter.event(e), systemClock);
  const active = (await callProvider(issuer, 'list', () => issuer.list())).filter((k) => k.status === 'active');
  const served = await Promise.all(stores.map((s) => callProvider(s, 'readBack', () => s.readBack())));
  const current = active.find((k) => served.some((c) => c?.keyId === k.id)) ?? (active.length === 1 ? active[0] : undefined);
  if (!current) throw new KeyrotError('revoke-needs-key', {});
  return current.id;
}

export async function revokeCommand(args: string[], opts: RevokeOptions): Promise<number> {
  const plans = await loadPlans(args, opts.state);
  if (!opts.key && plans.length !== 1) throw new KeyrotError('revoke-needs-key', {});
  const reporter = await pickReporter(opts);
  const interrupt = interruptSignal(() => undefined);
  try {
    const owner = opts.key ? await findOwner(plans, opts.key, opts, reporter) : plans[0]!;
    const keyId = opts.key ?? (await currentKey(owner, opts, reporter));
    const options = sessionOptions(opts, reporter, interrupt.signal, { wait: false, due: false, command: ['keyrot', 'revoke', ...process.argv.slice(3)].join(' ') });

    if (!opts.delete) {
      const warning = `revoking ${keyId} of plan ${owner.plan.name} now: anything still using it fails until it loads the replacement`;
      if (isInteractive(opts) && !opts.yes) {
        if (!(await options.confirm(`${warning}. Revoke?`))) return EXIT.refused;
      } else {
        reporter.event({ type: 'warning', plan: owner.plan.name, message: warning });
      }
    } else if (!(await options.confirm(`permanently delete the revoked key ${keyId} of plan ${owner.plan.name} once its soak is over?`))) {
      return EXIT.refused;
    }

    const outcome = await withPlan(owner, options, async (session) => {
      const revoking = session.saved?.mode === 'revoke' && session.saved.phase !== 'done' && session.saved.oldKeyId === keyId;
      // --delete finishes a revoke; it never starts one (that would skip the warning above).
      if (opts.delete && !revoking) throw new KeyrotError('revoke-delete-first', { keyId, plan: owner.plan.name });
      const start = await beginRevoke(session, keyId);
      if ('nothing' in start) {
        reporter.event({ type: 'note', plan: owner.plan.name, message: `nothing to revoke: ${start.nothing}` });
        return { status: 'done' as const };
      }
      const ctx = session.context(start.state);
      if (opts.delete && !ctx.state.approvedBy) {
        ctx.state.approvedBy = actor();
        await ctx.save();
        await ctx.audit(ctx.state.phase, 'ok', `permanent delete of revoked key ${keyId} approved by ${ctx.state.approvedBy}`, 'approve');
      }
      const result = await drive(ctx, options);
      const soakOver = result.status === 'held' && result.code === 'approval-required';
      if ((result.status === 'waiting' || soakOver) && !opts.delete) {
        // Revoked and replaced: the soak runs on its own; the delete is a later, explicit step.
        reporter.event({
          type: 'note', plan: owner.plan.name,
          message: `revoked ${keyId}; replacement ${ctx.state.newKeyId} published. Delete the leaked key after ${ctx.state.deadlines.soak} with \`keyrot revoke --delete --key ${keyId} ${owner.file}\``,
        });
        return { status: 'done' as const };
      }
      return result;
    }).catch(reportedFailure(reporter, owner.plan.name));
    reporter.summary([{ plan: owner.plan.name, outcome }]);
    return exitCodeOf(outcome);
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
