// Every plan as monitoring sees it (keyrot status, --metrics-file): the active key and its age
// against schedule.maxAge, the rotation in flight and its next action, and the last outcomes from
// the audit log. Read-only: one issuer list per plan, nothing else reaches a provider.
import type { AuditRecord } from '../audit/log.js';
import { KeyrotError } from '../errors.js';
import { commandArg, type MessageCode } from '../messages.js';
import type { LoadedPlan } from '../plan/load.js';
import { formatDuration } from '../shared/duration.js';
import { stateDirOf } from '../state/location.js';
import type { StateStore } from '../state/store.js';
import type { OperationOptions } from './options.js';
import { buildIssuer, callProvider } from './providers.js';
import { inFlight, type RotationState } from './rotation.js';

export interface KeyAge {
  id: string;
  createdAt: string;
  ageSeconds: number;
}

export interface PlanInventory {
  plan: string;
  file: string;
  stateDir: string;
  issuer: string;
  /** The newest active key (the one a rotation would retire next), or null when the issuer has none. */
  activeKey: KeyAge | null;
  maxAgeSeconds: number | null;
  /** When the active key reaches maxAge (null without maxAge or without a key). */
  dueAt: string | null;
  overdue: boolean;
  /** The rotation in flight, or null. */
  rotation: RotationState | null;
  /** The last audit record for this plan: what happened last, and when. */
  lastOutcome: { outcome: AuditRecord['outcome']; phase: string; action: string; at: string } | null;
  /** The last rotation that finished (not abandoned), and the last failure the audit log holds. */
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  /** The issuer could not be asked: why (the rest is still shown). */
  error: { code: MessageCode; message: string; hint: string } | null;
  /** The command that continues or starts this plan's rotation. */
  next: string;
}

const latest = (records: AuditRecord[], test: (r: AuditRecord) => boolean) => records.filter(test).at(-1);

/** Every plan's inventory at `now`: one issuer list each, and what the state store and audit log hold. */
export async function inventory(plans: LoadedPlan[], options: OperationOptions, now: Date): Promise<PlanInventory[]> {
  const { states, clock } = options;
  const stateDirOption = states.spec;
  const audits = new Map<StateStore, Promise<AuditRecord[]>>();
  const auditOf = (store: StateStore) => {
    if (!audits.has(store)) audits.set(store, store.audit.read().catch(() => []));
    return audits.get(store)!;
  };

  return Promise.all(
    plans.map(async (loaded): Promise<PlanInventory> => {
      const { plan } = loaded;
      const stateDir = stateDirOf(loaded, stateDirOption);
      const store = await states.of(loaded);
      const saved = await store.load(plan.name);
      const records = (await auditOf(store)).filter((r) => r.plan === plan.name);
      const maxAge = plan.schedule?.maxAge ?? null;

      let issuer = plan.source.type as string;
      let activeKey: KeyAge | null = null;
      let error: PlanInventory['error'] = null;
      try {
        const keys = await buildIssuer(loaded, store, () => undefined, clock).then(async (i) => {
          issuer = i.label;
          return callProvider(i, 'list', () => i.list());
        });
        const newest = keys.filter((k) => k.status === 'active').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
        if (newest) activeKey = { id: newest.id, createdAt: newest.createdAt.toISOString(), ageSeconds: Math.max(0, Math.floor((now.getTime() - newest.createdAt.getTime()) / 1000)) };
      } catch (e) {
        if (!(e instanceof KeyrotError)) throw e;
        e.about(commandArg(loaded.file, stateDirOption));
        error = { code: e.code, message: e.message, hint: e.hint };
      }
      const dueAt = activeKey && maxAge !== null ? new Date(Date.parse(activeKey.createdAt) + maxAge).toISOString() : null;
      const last = records.at(-1);
      const failed = latest(records, (r) => r.outcome === 'failed');
      return {
        plan: plan.name,
        file: loaded.file,
        stateDir,
        issuer,
        activeKey,
        maxAgeSeconds: maxAge === null ? null : Math.floor(maxAge / 1000),
        dueAt,
        overdue: dueAt !== null && Date.parse(dueAt) <= now.getTime(),
        rotation: inFlight(saved) ? saved! : null,
        lastOutcome: last ? { outcome: last.outcome, phase: last.phase, action: last.action, at: last.time } : null,
        lastSuccessAt: saved && !inFlight(saved) && !saved.abandoned ? saved.completedAt : null,
        lastFailureAt: failed?.time ?? null,
        error,
        next: `keyrot run ${commandArg(loaded.file, stateDirOption)}`,
      };
    }),
  );
}

/** "12d old (maxAge 30d, due in 18d)" or "31d old: overdue since …" */
export function describeAge(p: PlanInventory, now: Date): string {
  if (!p.activeKey) return p.error ? 'key age unknown' : 'no active key yet';
  const age = `${formatDuration(p.activeKey.ageSeconds * 1000)} old`;
  if (!p.dueAt || p.maxAgeSeconds === null) return `${age} (no schedule.maxAge)`;
  const left = Date.parse(p.dueAt) - now.getTime();
  return p.overdue ? `${age}: OVERDUE since ${p.dueAt} (maxAge ${formatDuration(p.maxAgeSeconds * 1000)})` : `${age} (maxAge ${formatDuration(p.maxAgeSeconds * 1000)}, due in ${formatDuration(left)})`;
}
