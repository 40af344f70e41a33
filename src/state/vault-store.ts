// State, locks, generated-issuer ledgers and audit in Vault KV version 2, for keyrot run from many
// hosts (--state vault://<mount>/<prefix>; vault-address.ts reads the URL). Under the prefix, one
// secret per plan and purpose (vault-space.ts):
//   state/<plan>    {record}   the rotation record (JSON), as the file store keeps it (vault-record.ts)
//   ledger/<plan>   {ledger}   the generated issuer's keys: ids, states, fingerprints (vault-ledger.ts)
//   lock/<plan>     {lock}     the lease: holder (host, pid, command, since), token, expiry (vault-lock.ts);
//                              its custom_metadata a copy of what status shows of the plan (vault-lock-mirror.ts)
//   audit/<plan>    {records}  the newest AUDIT_KEEP audit records of the plan (vault-audit.ts)
//   unusable/<plan>-<time>     a record set aside by keyrot abandon
// Every write carries `cas` (the KV version read just before), so of two writers one is refused:
// a lost update is impossible, and the lock is a lease whose renewal fails once another took it.
import type { VaultContext } from '../vault/schema.js';
import type { RotationState } from './rotation-state.js';
import type { LockHolder, Peeked, PeekedLedger, PeekedPlan, PlanLedger, PlanLock, StateStore } from './store.js';
import { lockMirrorOf, type PlanViews } from './vault-lock-mirror.js';
import { mirrorOf } from './vault-mirror.js';
import { LockListing, peekPlansInVault } from './vault-peek-plans.js';
import type { VaultStateConfig } from './vault-address.js';
import { VaultAudit } from './vault-audit.js';
import { VaultLedgers } from './vault-ledger.js';
import { leaseLock } from './vault-lock.js';
import { VaultRecords } from './vault-record.js';
import { VaultSpace } from './vault-space.js';

/**
 * Pages of lock/'s listing read ahead while status loads its plans (each ~2 MB of JSON per 1000 plans):
 * about what OpenBao lists meanwhile, and few enough that keyrot's peak memory stays where it was.
 */
const READ_AHEAD_PAGES = 3;
/**
 * Versions kept of a lock secret, set with its copy: the lease is taken and freed with cas, which needs
 * only the current version, and nothing reads an older one. OpenBao's default (10) lists each version's
 * entry in lock/'s detailed listing that status reads (issue 27). Older versions go at the next write.
 */
const LOCK_VERSIONS_KEPT = 1;

export class VaultStateStore implements StateStore {
  readonly location: string;
  readonly audit: VaultAudit;
  private readonly space: VaultSpace;
  private readonly records: VaultRecords;
  private readonly ledgers: VaultLedgers;
  /** lock/'s listing, started before the plans were loaded (readAhead), for the next peekPlans. */
  private ahead: LockListing | undefined;
  /** The plans whose lock this process holds: what it remembers of them is kept only meanwhile. */
  private readonly locked = new Set<string>();

  constructor(config: VaultStateConfig, ctx: VaultContext) {
    this.space = new VaultSpace(config, ctx);
    this.location = this.space.location;
    this.records = new VaultRecords(this.space, this.locked);
    this.ledgers = new VaultLedgers(this.space, this.locked);
    this.audit = new VaultAudit(this.space, this.locked);
  }

  load(plan: string): Promise<RotationState | undefined> {
    return this.records.load(plan);
  }

  save(state: RotationState): Promise<RotationState> {
    return this.records.save(state);
  }

  setAside(plan: string): Promise<string> {
    return this.records.setAside(plan);
  }

  list(): Promise<RotationState[]> {
    return this.records.list();
  }

  peek(plans: readonly string[]): AsyncIterable<Peeked[]> {
    return this.records.peek(plans);
  }

  peekLedgers(plans: readonly string[]): AsyncIterable<PeekedLedger[]> {
    return this.ledgers.peek(plans);
  }

  /** One listing of lock/ (vault-peek-plans.ts): the one readAhead started, if any, else a new one. */
  peekPlans(plans: readonly string[], ledgered: ReadonlySet<string>): AsyncIterable<PeekedPlan[]> {
    const listing = this.ahead ?? new LockListing(this.space, '', 1);
    this.ahead = undefined;
    return peekPlansInVault({ space: this.space, records: this.records, ledgers: this.ledgers, audit: this.audit }, listing, plans, ledgered);
  }

  readAhead(): void {
    this.ahead ??= new LockListing(this.space, '', READ_AHEAD_PAGES);
  }

  async lock(plan: string, holder: LockHolder, waitMs: number, signal?: AbortSignal): Promise<PlanLock> {
    let views: PlanViews = {};
    let written: PlanViews = {};
    const release = async () => {
      // What this process wrote under the lock, mirrored for the next peek (vault-mirror.ts): last, and
      // best effort, since a mirror that is missing or late is only read around.
      for (const [purpose, written] of [['state', this.records.written(plan)], ['ledger', this.ledgers.written(plan)], ['audit', this.audit.written(plan)]] as const) {
        const custom = written && mirrorOf(written.view, written.version);
        if (custom) await this.space.writeMirror(purpose, plan, custom);
      }
      views = this.heldViews(plan);
      written = this.writtenViews(plan);
      this.locked.delete(plan);
      this.records.forget(plan);
      this.audit.forget(plan);
      this.ledgers.forget(plan);
    };
    // Once released: what status shows of the plan, copied into the lock at the version the release wrote (vault-lock-mirror.ts).
    const released = async (version: number, { tookOver }: { tookOver: boolean }) => {
      // Taken over from a holder whose lease expired: that one may still be running, and a write of its
      // landing after this one read a secret would not show in what was read. What this one wrote is safe
      // (cas: the older writer's write is refused after it), except the audit history (appends retry).
      const custom = lockMirrorOf(tookOver ? written : views, version);
      if (custom) await this.space.writeMirror('lock', plan, custom, LOCK_VERSIONS_KEPT);
    };
    const lock = await leaseLock(await this.space.kv('lock', plan), plan, holder, { waitMs, signal, leaseMs: this.space.config.leaseMs, onRelease: release, onReleased: released });
    this.locked.add(plan);
    return lock;
  }

  /** The record and ledger this process wrote under the plan's lock (not what it only read, nor the audit summary). */
  private writtenViews(plan: string): PlanViews {
    const views: PlanViews = {};
    const record = this.records.written(plan);
    if (record) views.state = record.view || null;
    const ledger = this.ledgers.written(plan);
    if (ledger) views.ledger = ledger.view || null;
    return views;
  }

  /** What this process read or wrote of the plan under its lock, as status shows it; a purpose it does not know is left out. */
  private heldViews(plan: string): PlanViews {
    const views: PlanViews = {};
    const record = this.records.heldView(plan);
    if (record !== undefined) views.state = record || null;
    const ledger = this.ledgers.heldView(plan);
    if (ledger !== undefined) views.ledger = ledger || null;
    const audit = this.audit.written(plan);
    if (audit) views.audit = audit.view;
    return views;
  }

  ledger(plan: string): PlanLedger {
    return this.ledgers.ledger(plan);
  }

  ledgerPlans(): Promise<string[]> {
    return this.ledgers.plans();
  }
}
