// keyrot state migrate: copy every plan's rotation record, generated-issuer ledger and audit history
// from one state store to another (a folder to Vault, typically). Every plan is locked in both
// stores first, so a rotation running now (its lock held) refuses the move with exit 3 naming it,
// and no run can start on either side while the copy is made. Nothing the destination already
// holds is overwritten; records it already has are not copied twice, so a migration cut short can
// simply be run again.
import os from 'node:os';
import type { AuditRecord } from '../../audit/log.js';
import { KeyrotError } from '../../errors.js';
import type { StateBackend } from '../../state/open.js';
import type { PlanLock } from '../../state/store.js';

export interface MigratedPlan {
  plan: string;
  /** The rotation record: copied (its phase then), already there, or none to copy. */
  state: 'copied' | 'present' | 'none';
  phase: string | null;
  ledgerKeys: number;
  auditRecords: number;
}

export interface Migration {
  from: string;
  to: string;
  plans: MigratedPlan[];
}

const sameRecord = (a: AuditRecord) => JSON.stringify([a.time, a.plan, a.rotationId, a.phase, a.action, a.outcome, a.detail ?? null]);

/** `from` and `to`: the backends --from and --to name, each one store. `command`: the lock holder's. */
export async function migrateState(request: { from: StateBackend; to: StateBackend }, options: { command: string }): Promise<Migration> {
  const [from] = await request.from.stores([]);
  const [to] = await request.to.stores([]);
  if (!from || !to) throw new KeyrotError('usage', { problem: 'keyrot state migrate moves one state store to another: name each with --from and --to' });
  const { command } = options;
  if (from.location === to.location) throw new KeyrotError('usage', { problem: `--from and --to are the same store (${from.location})` });
  const audit = await from.audit.read();
  const names = [...new Set([...(await from.list()).map((s) => s.plan), ...(await from.ledgerPlans()), ...audit.map((r) => r.plan)])].sort();
  const holder = { host: os.hostname(), pid: process.pid, command, since: new Date().toISOString() };

  const locks: PlanLock[] = [];
  try {
    // Every lock first: a rotation in flight on either side refuses the whole move, before anything is copied.
    for (const plan of names) {
      locks.push(await from.lock(plan, holder, 0));
      locks.push(await to.lock(plan, holder, 0));
    }
    const already = new Set((await to.audit.read()).map(sameRecord));
    const plans: MigratedPlan[] = [];
    for (const plan of names) {
      const record = await from.load(plan);
      const there = await to.load(plan);
      let state: MigratedPlan['state'] = 'none';
      if (record && there) {
        if (there.rotationId !== record.rotationId || there.updatedAt !== record.updatedAt) {
          throw new KeyrotError('state-migrate-taken', { plan, to: to.location, what: `a rotation record (${there.rotationId}, ${there.phase})` });
        }
        state = 'present';
      } else if (record) {
        await to.save({ ...record, version: 0 });
        state = 'copied';
      }

      const keys = (await from.ledger(plan).load()).keys;
      const target = await to.ledger(plan).load();
      if (keys.length > 0) {
        if (target.keys.length === 0) await to.ledger(plan).save(keys, target.version);
        else if (JSON.stringify(target.keys) !== JSON.stringify(keys)) {
          throw new KeyrotError('state-migrate-taken', { plan, to: to.location, what: `a key ledger (${target.keys.map((k) => k.id).join(', ')})` });
        }
      }

      const records = audit.filter((r) => r.plan === plan && !already.has(sameRecord(r)));
      await to.audit.copyIn(records);
      plans.push({ plan, state, phase: record ? record.phase : null, ledgerKeys: keys.length, auditRecords: records.length });
    }
    return { from: from.location, to: to.location, plans };
  } finally {
    for (const lock of locks.reverse()) await lock.release().catch(() => undefined);
  }
}
