import type { RotationState } from '../engine/rotation.js';

/** Who holds a plan's lock: printed in every message about it. */
export interface LockHolder {
  host: string;
  pid: number;
  command: string;
  since: string;
}

export const describeHolder = (h: LockHolder | undefined): string =>
  h ? `pid ${h.pid} on ${h.host} (${h.command}) since ${h.since}` : 'another keyrot process (holder unknown)';

export interface PlanLock {
  release(): Promise<void>;
  /** Set when the lock was lost (e.g. taken over as stale): the runner stops before its next step. */
  readonly lost: string | undefined;
}

/**
 * Where rotation state lives between runs.
 *
 * Every implementation guarantees:
 * - `load` returns a record only after checking every field (state/schema.ts); anything else is
 *   KeyrotError 'state-corrupt' (exit 2) naming the file and what is wrong. A store that cannot be
 *   read or written says so ('state-io', exit 4; 'state-folder-invalid', exit 2), never a bare I/O error.
 * - `setAside` moves an unusable record out of the way (keyrot abandon), returning where it went.
 * - `save` is atomic: a reader sees the old record or the new one, never a mix, even across a crash;
 *   it is durable when it returns (invariant 5).
 * - `save` refuses (KeyrotError 'state-conflict') a record whose `version` is not the stored one,
 *   and returns the record with its new version.
 * - `lock` gives one process at a time the right to advance a plan (invariant 7); a live holder makes
 *   it throw KeyrotError 'lock-held' naming the holder, after waiting up to `waitMs`; a holder that
 *   died is detected and its lock taken over.
 * - Nothing it writes contains a secret; files are readable by their owner only.
 */
export interface StateStore {
  readonly location: string;
  load(plan: string): Promise<RotationState | undefined>;
  save(state: RotationState): Promise<RotationState>;
  setAside(plan: string): Promise<string>;
  list(): Promise<RotationState[]>;
  lock(plan: string, holder: LockHolder, waitMs: number): Promise<PlanLock>;
}
