// Whether a plan is due (`keyrot run --due`), decided twice, the same way: before its lock is taken,
// from the record the state store holds (StateStore.peek) and the issuer's key list (for the generated
// issuer, its ledger, read many at once with peekLedgers); then again under the lock, exactly as
// before, for the plans that were not skipped. The first decision only skips, and from the same
// sources as the second: a plan it skips is one the check under the lock would skip too, so a quiet
// tick over many plans reads their records and keys and takes no lock (issue 27).
import type { LoadedPlan } from '../plan/load.js';
import type { KeyInfo, KeyIssuer } from '../providers/types.js';
import { formatDuration } from '../shared/duration.js';
import type { LedgerEntry, Peeked } from '../state/store.js';
import { callProvider } from './providers.js';
import { inFlight } from './rotation.js';

const NO_MAX_AGE = 'the plan has no schedule.maxAge; with --due it is rotated only when one is set';

/** Why `keys` are not due for rotation at `now` (undefined: they are: no active key, or the newest is maxAge old). */
export function keysNotDue(keys: KeyInfo[], maxAge: number, now: Date): string | undefined {
  const active = keys.filter((k) => k.status === 'active');
  if (active.length === 0) return undefined;
  const age = now.getTime() - Math.max(...active.map((k) => k.createdAt.getTime()));
  return age < maxAge ? `active key is ${formatDuration(age)} old; due at ${formatDuration(maxAge)}` : undefined;
}

/** Why the plan is not due (undefined: it is), and the key list read to tell, when one was (under the lock). */
export async function dueReason(loaded: LoadedPlan, issuer: KeyIssuer, now: Date): Promise<{ reason?: string; keys?: KeyInfo[] }> {
  const maxAge = loaded.plan.schedule?.maxAge;
  if (maxAge === undefined) return { reason: NO_MAX_AGE };
  const keys = await callProvider(issuer, 'list', () => issuer.list());
  const reason = keysNotDue(keys, maxAge, now);
  return reason ? { reason } : { keys };
}

/** What the record alone says before the lock: lock it, skip it (why), or ask the issuer's key list
 *  (for the generated issuer, `ledger`: its ledger, already read with many others). */
export type FirstLook = { lock: true } | { lock: false; reason: string } | { askIssuer: true; ledger?: LedgerEntry[] };

export function firstLook(loaded: LoadedPlan, peeked: Peeked): FirstLook {
  const { state } = peeked;
  // A record that could not be read, or a rotation in flight: the lock holder goes on (or says why not).
  if (peeked.unknown || inFlight(state)) return { lock: true };
  if (loaded.plan.schedule?.maxAge === undefined) return { lock: false, reason: NO_MAX_AGE };
  return { askIssuer: true };
}

/** Ask the issuer (without the lock) whether its newest active key is due: skip the plan if not. */
export async function issuerLook(loaded: LoadedPlan, issuer: KeyIssuer, now: Date): Promise<FirstLook> {
  const { reason } = await dueReason(loaded, issuer, now);
  return reason ? { lock: false, reason } : { lock: true };
}
