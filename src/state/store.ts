import type { AuditRecord, AuditSummary } from '../audit/log.js';
import type { RotationState } from './rotation-state.js';

/** Who holds a plan's lock: printed in every message about it. */
export interface LockHolder {
  host: string;
  pid: number;
  command: string;
  since: string;
}

export const describeHolder = (h: LockHolder | undefined): string =>
  h ? `pid ${h.pid} on ${h.host} (${h.command}) since ${h.since}` : 'another keyrot process (holder unknown)';

/**
 * A plan's record as `peek` found it, with no lock taken: `state` is undefined when there is none;
 * `unknown` when it could not be read (corrupt, refused): only the lock holder's `load` can say why.
 */
export interface Peeked {
  plan: string;
  state: RotationState | undefined;
  unknown?: true;
}

/** A plan's generated-issuer ledger as `peekLedgers` found it: `keys` undefined when it could not be read. */
export interface PeekedLedger {
  plan: string;
  keys: LedgerEntry[] | undefined;
}

/**
 * A plan as `peekPlans` found it for keyrot status, with no lock taken: its record (as `peek`), its
 * generated-issuer ledger (only when asked for, and readable) and its audit summary (when it has one).
 */
export interface PeekedPlan extends Peeked {
  ledger?: LedgerEntry[];
  audit?: AuditSummary;
}

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
 *   it is durable when it returns (invariant 5). A save whose record differs from the stored one only
 *   in `updatedAt` may write nothing and answer the stored version.
 * - `save` refuses (KeyrotError 'state-conflict') a record whose `version` is not the stored one,
 *   and returns the record with its new version.
 * - `lock` gives one process at a time the right to advance a plan (invariant 7); a live holder makes
 *   it throw KeyrotError 'lock-held' naming the holder, after waiting up to `waitMs`; a holder that
 *   died is detected and its lock taken over. An aborted `signal` ends the wait (KeyrotError 'interrupted').
 * - The lock holder is described (host, pid, command, since); a holder that stops renewing its lock
 *   (dies) loses it only after its lease: the file store's stale time, the Vault store's lease.
 * - `peek` reads many plans' records at once, taking no lock, in as few requests as the store allows
 *   (file: one folder listing, then only the files that exist; Vault: one LIST, then one read per
 *   record). It answers each plan asked for exactly once, in pages, writes nothing and remembers
 *   nothing a later save relies on; a record it cannot read is answered `unknown`, not thrown. What it
 *   answers may change the moment after: it tells which plans to lock, and the lock holder loads again.
 * - `ledger(plan).save` follows the same rules as `save`: atomic, durable, a lost update refused;
 *   `audit.append` is atomic per record (see AuditTrail).
 * - Nothing it writes contains a secret; files are readable by their owner only.
 */
export interface StateStore {
  /** Where it is, as a user would name it: a folder, or vault://mount/prefix. */
  readonly location: string;
  load(plan: string): Promise<RotationState | undefined>;
  save(state: RotationState): Promise<RotationState>;
  setAside(plan: string): Promise<string>;
  list(): Promise<RotationState[]>;
  /** The records of `plans` without their locks, a page at a time (see above). */
  peek(plans: readonly string[]): AsyncIterable<Peeked[]>;
  lock(plan: string, holder: LockHolder, waitMs: number, signal?: AbortSignal): Promise<PlanLock>;
  /** The generated issuer's key ledger of a plan. */
  ledger(plan: string): PlanLedger;
  /** The audit log: every plan's records, in the order they were appended. */
  readonly audit: AuditTrail;
  /** The ledgers of `plans` without their locks, a page at a time, as `peek` reads records: for keyrot status. */
  peekLedgers(plans: readonly string[]): AsyncIterable<PeekedLedger[]>;
  /**
   * For keyrot status: each of `plans` (its record, its audit summary, and its ledger when in
   * `ledgered`), taking no lock, a page at a time, each plan answered once; as `peek` otherwise
   * (a record it cannot read is answered `unknown`, a ledger it cannot read is left out).
   */
  peekPlans(plans: readonly string[], ledgered: ReadonlySet<string>): AsyncIterable<PeekedPlan[]>;
  /** Where a store can, start reading what the next peekPlans will (status calls it while it loads the plans). */
  readAhead?(): void;
  /** The plans that have a ledger (keyrot state migrate). */
  ledgerPlans(): Promise<string[]>;
}

/** A key the generated issuer minted: never its secret, only its fingerprint. */
export interface LedgerEntry {
  id: string;
  status: 'active' | 'inactive';
  createdAt: string;
  fingerprint: string;
  /** An issuer's own bookkeeping about the key, never a secret. The redis issuer keeps the password's
   *  SHA-256 as Redis stores it (`hash`: ACL GETUSER shows it to admins; it cannot log in, AUTH needs
   *  the password), so a rollback can restore a removed password by hash, and the last connection id
   *  Redis had given out when the password was added (`lastClientId`), for the session gate. */
  issuerData?: Record<string, string | number>;
}

/**
 * A generated issuer's ledger. `load` answers the keys and the ledger's version (0 when there is
 * none); `save` writes the keys only if the version is still the one loaded (KeyrotError
 * 'state-conflict' otherwise) and answers the new version. Never holds a secret.
 */
export interface PlanLedger {
  /** Where it is, for messages and dry runs: a file, or a Vault secret path. */
  readonly where: string;
  load(): Promise<{ keys: LedgerEntry[]; version: number }>;
  save(keys: LedgerEntry[], version: number): Promise<number>;
}

/**
 * The audit log. `append` never interleaves with a concurrent writer's record, and outlives the
 * process when it returns (the file store: one O_APPEND write, not fsync'd, so a power cut may lose
 * the newest lines; resume never reads the log, only the state, which is fsync'd); `scan` reads every record back (a store may keep only the newest records of each
 * plan, and says how many it could not read).
 */
export interface AuditTrail {
  append(record: Omit<AuditRecord, 'actor'>): Promise<void>;
  /** Where a store can, keep what appends need open (the file store: the log file) until the answered release. */
  hold?(): () => Promise<void>;
  /** Records written elsewhere (keyrot state migrate), appended in order as they are, actor included. */
  copyIn(records: AuditRecord[]): Promise<void>;
  read(): Promise<AuditRecord[]>;
  /** For each of `plans` with records: the newest, and when it last failed; read as a stream, nothing else held. */
  summaries(plans: readonly string[]): Promise<Map<string, AuditSummary>>;
  scan(): Promise<{ records: AuditRecord[]; unreadable: number; where: string }>;
}
