// Whether a plan is due (`keyrot run --due`), decided twice: before its lock is taken, from what the
// state store holds (StateStore.peek) and, where the issuer is not keyrot's own ledger, the issuer's
// key list; then again under the lock, exactly as before, for the plans that were not skipped. The
// first decision only skips: a plan it skips is one the check under the lock would skip too, so a
// quiet tick over many plans reads their records and takes no lock (issue 27).
import type { LoadedPlan } from '../plan/load.js';
import { issuerTraits } from '../providers/registry.js';
import type { KeyInfo, KeyIssuer } from '../providers/types.js';
import { formatDuration } from '../shared/duration.js';
import type { Peeked } from '../state/store.js';
import { callProvider } from './providers.js';
import { inFlight, type RotationState } from './rotation.js';

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

/**
 * How long ago, at most, the key a finished rotation issued was created: it was created after the
 * rotation started. Undefined when the record does not tell (no record, in flight, abandoned).
 */
function issuedAtMostAgo(state: RotationState | undefined, now: Date): number | undefined {
  if (!state || inFlight(state) || state.abandoned || !state.newKeyId) return undefined;
  return Math.max(0, now.getTime() - Date.parse(state.startedAt));
}

/** What the record alone says before the lock: lock it, skip it (why), or ask the issuer's key list. */
export type FirstLook = { lock: true } | { lock: false; reason: string } | { askIssuer: true };

export function firstLook(loaded: LoadedPlan, peeked: Peeked, now: Date): FirstLook {
  const { state } = peeked;
  // A record that could not be read, or a rotation in flight: the lock holder goes on (or says why not).
  if (peeked.unknown || inFlight(state)) return { lock: true };
  const maxAge = loaded.plan.schedule?.maxAge;
  if (maxAge === undefined) return { lock: false, reason: NO_MAX_AGE };
  // Keys only keyrot changes, under this lock: the last finished rotation tells their age (exact
  // enough to skip: the key is younger than the record says, never older).
  if (issuerTraits(loaded.plan.source.type).keysInLedger) {
    const age = issuedAtMostAgo(state, now);
    return age !== undefined && age < maxAge ? { lock: false, reason: `last rotated ${formatDuration(age)} ago; due at ${formatDuration(maxAge)}` } : { lock: true };
  }
  return { askIssuer: true };
}

/** Ask the issuer (without the lock) whether its newest active key is due: skip the plan if not. */
export async function issuerLook(loaded: LoadedPlan, issuer: KeyIssuer, now: Date): Promise<FirstLook> {
  const { reason } = await dueReason(loaded, issuer, now);
  return reason ? { lock: false, reason } : { lock: true };
}
