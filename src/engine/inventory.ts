// Every plan as monitoring sees it (keyrot status, --metrics-file): the active key and its age
// against schedule.maxAge, the rotation in flight and its next action, and the last outcomes from
// the audit log. Read-only: one issuer list per plan, nothing else reaches a provider.
import pLimit from 'p-limit';
import type { AuditRecord, AuditSummary } from '../audit/log.js';
import { KeyrotError } from '../errors.js';
import { commandArg, type MessageCode } from '../messages.js';
import type { LoadedPlan } from '../plan/load.js';
import { formatDuration } from '../shared/duration.js';
import { stateDirOf } from '../state/location.js';
import { issuerTraits } from '../providers/registry.js';
import type { LedgerEntry, StateStore } from '../state/store.js';
import type { OperationOptions } from './options.js';
import { buildIssuer, callProvider, readLedger } from './providers.js';
import { leftToDelete } from './revoke-also.js';
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
  /** A finished rotation (abandoned) that left leaked keys revoked and not deleted: status lists them (revoke-also.ts). */
  leakedLeft: RotationState | null;
  /** The state store holds a record of this plan (in flight or finished). */
  recorded: boolean;
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

/** What a plan's state store holds for it: the rotation in flight, the last one finished, its audit summary. */
interface Stored {
  /** The plan's state store (asked once per plan, here). */
  store: StateStore;
  /** The issuer's keys where they are keyrot's own ledger (generated), read with the records. */
  ledger?: LedgerEntry[];
  recorded: boolean;
  rotation: RotationState | null;
  leakedLeft: RotationState | null;
  lastSuccessAt: string | null;
  audit: AuditSummary | undefined;
}

/**
 * Every plan's record, ledger and audit summary, read once per state store without the locks, a page
 * at a time (StateStore.peekPlans), each page yielded as it arrives; only what status shows is kept of each.
 */
async function* storedFor(plans: LoadedPlan[], options: OperationOptions): AsyncGenerator<Array<[LoadedPlan, Stored]>> {
  // Every plan's store asked at once, awaited once: not an await per plan (10,000 of them).
  const storeOf = await Promise.all(plans.map((loaded) => options.states.of(loaded)));
  const groups = new Map<StateStore, Map<string, LoadedPlan>>();
  plans.forEach((loaded, i) => {
    const store = storeOf[i]!;
    if (!groups.has(store)) groups.set(store, new Map());
    groups.get(store)!.set(loaded.plan.name, loaded);
  });
  for (const [store, byName] of groups) {
    const names = [...byName.keys()];
    // An issuer whose keys are keyrot's own ledger is asked nothing: its ledgers are read with the records.
    const ledgered = new Set(names.filter((n) => issuerTraits(byName.get(n)!.plan.source.type).keysInLedger));
    for await (const page of store.peekPlans(names, ledgered)) {
      const stored: Array<[LoadedPlan, Stored]> = [];
      for (const { plan, state: peeked, unknown, ledger, audit } of page) {
        // A record peek could not read: load it, which says what is wrong with it.
        const state = unknown ? await store.load(plan) : peeked;
        stored.push([byName.get(plan)!, {
          store,
          ...(ledger ? { ledger } : {}),
          recorded: state !== undefined,
          rotation: inFlight(state) ? state! : null,
          leakedLeft: leftToDelete(state).length > 0 ? state! : null,
          lastSuccessAt: state && !inFlight(state) && !state.abandoned ? state.completedAt : null,
          audit,
        }]);
      }
      yield stored;
    }
  }
}

/** A plan's active key: the newest its issuer lists as active (one list), or why it could not be asked. */
async function activeKeyOf(loaded: LoadedPlan, store: StateStore, ledger: LedgerEntry[] | undefined, options: OperationOptions, now: Date): Promise<Pick<PlanInventory, 'issuer' | 'activeKey' | 'error'>> {
  let issuer = loaded.plan.source.type as string;
  try {
    const read = ledger && readLedger(store.ledger(loaded.plan.name).where, ledger);
    const built = await buildIssuer(loaded, store, () => undefined, options.clock, read);
    issuer = built.label;
    const keys = await callProvider(built, 'list', () => built.list());
    const newest = keys.filter((k) => k.status === 'active').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    const activeKey = newest ? { id: newest.id, createdAt: newest.createdAt.toISOString(), ageSeconds: Math.max(0, Math.floor((now.getTime() - newest.createdAt.getTime()) / 1000)) } : null;
    return { issuer, activeKey, error: null };
  } catch (e) {
    if (!(e instanceof KeyrotError)) throw e;
    const arg = commandArg(loaded.file, options.states.spec);
    e.about(arg, `keyrot status ${arg}`);
    return { issuer, activeKey: null, error: { code: e.code, message: e.message, hint: e.hint } };
  }
}

/** Issuers asked at once: a folder of 10,000 plans is not 10,000 requests in flight. */
const ISSUERS_AT_ONCE = 16;

/** Every plan's inventory at `now`: one issuer list each, and what the state store and audit log hold. */
export async function inventory(plans: LoadedPlan[], options: OperationOptions, now: Date): Promise<PlanInventory[]> {
  const stateDirOption = options.states.spec;
  const limit = pLimit(ISSUERS_AT_ONCE);
  const one = async (loaded: LoadedPlan, { store, ledger, recorded, rotation, leakedLeft, lastSuccessAt, audit }: Stored): Promise<PlanInventory> => {
    const { plan } = loaded;
    const maxAge = plan.schedule?.maxAge ?? null;
    const { issuer, activeKey, error } = await activeKeyOf(loaded, store, ledger, options, now);
    const dueAt = activeKey && maxAge !== null ? new Date(Date.parse(activeKey.createdAt) + maxAge).toISOString() : null;
    const last = audit?.last;
    return {
      plan: plan.name,
      file: loaded.file,
      stateDir: stateDirOf(loaded, stateDirOption),
      issuer,
      activeKey,
      maxAgeSeconds: maxAge === null ? null : Math.floor(maxAge / 1000),
      dueAt,
      overdue: dueAt !== null && Date.parse(dueAt) <= now.getTime(),
      rotation,
      leakedLeft,
      recorded,
      lastOutcome: last ? { outcome: last.outcome, phase: last.phase, action: last.action, at: last.time } : null,
      lastSuccessAt,
      lastFailureAt: audit?.lastFailureAt ?? null,
      error,
      // A rolled-back rotation goes on only with --resume-after-rollback: a plain run holds (exit 3).
      next: `keyrot run ${rotation?.rolledBack ? '--resume-after-rollback ' : ''}${commandArg(loaded.file, stateDirOption)}`,
    };
  };
  // Each plan's issuer is asked as its page of the store arrives: keyrot's work on one page runs while
  // the store answers the next (a Vault listing page is OpenBao's CPU), instead of after the last.
  const asked = new Map<LoadedPlan, Promise<PlanInventory>>();
  for await (const page of storedFor(plans, options)) {
    for (const [loaded, stored] of page) {
      const answer = limit(() => one(loaded, stored));
      answer.catch(() => undefined); // awaited below, in the plans' order
      asked.set(loaded, answer);
    }
  }
  return Promise.all(plans.map((loaded) => asked.get(loaded)!));
}

/** "12d old (maxAge 30d, due in 18d)" or "31d old: overdue since …" */
export function describeAge(p: PlanInventory, now: Date): string {
  if (!p.activeKey) return p.error ? 'key age unknown' : 'no active key yet';
  const age = `${formatDuration(p.activeKey.ageSeconds * 1000)} old`;
  if (!p.dueAt || p.maxAgeSeconds === null) return `${age} (no schedule.maxAge)`;
  const left = Date.parse(p.dueAt) - now.getTime();
  return p.overdue ? `${age}: OVERDUE since ${p.dueAt} (maxAge ${formatDuration(p.maxAgeSeconds * 1000)})` : `${age} (maxAge ${formatDuration(p.maxAgeSeconds * 1000)}, due in ${formatDuration(left)})`;
}
