// State, locks, generated-issuer ledgers and audit in Vault KV version 2, for keyrot run from many
// hosts (--state vault://<mount>/<prefix>). Under the prefix, one secret per plan and purpose:
//   state/<plan>    {record}   the rotation record (JSON), as the file store keeps it
//   ledger/<plan>   {ledger}   the generated issuer's keys: ids, states, fingerprints (never a secret)
//   lock/<plan>     {lock}     the lease: holder (host, pid, command, since), token, expiry; "" when free
//   audit/<plan>    {records}  the newest AUDIT_KEEP audit records of the plan (JSON list)
//   unusable/<plan>-<time>     a record set aside by keyrot abandon
// Every write carries `cas` (the KV version read just before), so of two writers one is refused:
// a lost update is impossible, and the lock is a lease whose renewal fails once another took it.
import { randomBytes } from 'node:crypto';
import { type AuditRecord, actor, parseAuditLine } from '../audit/log.js';
import { KeyrotError } from '../errors.js';
import { formatDuration, parseDuration } from '../shared/duration.js';
import { login } from '../vault/auth.js';
import { type Connection, connect } from '../vault/client.js';
import type { Session } from '../vault/errors.js';
import { type Kv2, kv2, listKv2 } from '../vault/kv2.js';
import { type VaultAuth, type VaultConnectionConfig, type VaultContext, vaultAuth } from '../vault/schema.js';
import type { RotationState } from './rotation-state.js';
import { stateProblem } from './schema.js';
import { type AuditTrail, describeHolder, type LedgerEntry, type LockHolder, type PlanLedger, type PlanLock, type StateStore } from './store.js';

/** Audit records kept per plan: the history a rotation needs, bounded so the secret stays small. */
export const AUDIT_KEEP = 500;
const POLL_MS = 500;
/** Errors after which a write may still have taken effect. */
const UNANSWERED: ReadonlySet<string> = new Set(['provider-timeout', 'provider-failed']);
/** Appends that met another writer are retried this often before giving up. */
const APPEND_TRIES = 20;

export interface VaultStateConfig {
  mount: string;
  prefix: string;
  /** How long a lock holder that stops renewing keeps the lock. */
  leaseMs: number;
  auth: VaultAuth;
  connection: VaultConnectionConfig;
}

interface Lease extends LockHolder {
  token: string;
  /** The holder's clock + the lease, at its last renewal. */
  expiresAt: string;
  leaseMs: number;
}

/**
 * vault://<mount>/<prefix>[?lease=30s&timeout=30s&address=…&namespace=…&caFile=…&auth=kubernetes&role=…&authMount=…&jwtFile=…]
 * (auth=approle takes roleIdEnv|roleIdFile and secretIdEnv|secretIdFile). The address comes from VAULT_ADDR (or address=),
 * the token as the vault CLI finds it unless auth says otherwise: never a credential in the URL.
 */
export function parseVaultSpec(spec: string): VaultStateConfig {
  // Never repeat a credential someone put in the URL.
  const shown = spec.replace(/^(vault:\/\/)[^@/]*@/i, '$1');
  const bad = (problem: string) => new KeyrotError('usage', { problem: `--state ${shown}: ${problem}` });
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw bad('not a URL like vault://secret/keyrot');
  }
  if (url.username || url.password) throw bad('a credential does not belong in the URL: use VAULT_TOKEN or ?auth=kubernetes|approle');
  const mount = url.hostname;
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  if (!mount || !prefix || prefix.split('/').some((p) => p === '')) throw bad('name a KV v2 mount and a path under it, e.g. vault://secret/keyrot');
  const q = Object.fromEntries(url.searchParams);
  const known = new Set(['address', 'lease', 'timeout', 'namespace', 'auth', 'role', 'authMount', 'jwtFile', 'roleIdEnv', 'roleIdFile', 'secretIdEnv', 'secretIdFile', 'caFile']);
  const unknown = Object.keys(q).filter((k) => !known.has(k));
  if (unknown.length) throw bad(`unknown setting(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  if (q.address !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(q.address)) throw bad(`address=${q.address} is not a Vault address like https://vault.example.internal:8200`);
  const ms = (name: string, fallback: number) => {
    if (q[name] === undefined) return fallback;
    const v = parseDuration(q[name]!);
    if (v === undefined || v <= 0) throw bad(`${name}=${q[name]} is not a duration (try 30s)`);
    return v;
  };
  const method = q.auth ?? 'token';
  const rawAuth: Record<string, unknown> = { method };
  for (const k of ['role', 'jwtFile', 'roleIdEnv', 'roleIdFile', 'secretIdEnv', 'secretIdFile'] as const) if (q[k] !== undefined) rawAuth[k] = q[k];
  if (q.authMount !== undefined) rawAuth.mount = q.authMount;
  const auth = vaultAuth.safeParse(rawAuth);
  if (!auth.success) throw bad(`auth: ${auth.error.issues.map((i) => `${i.path.join('.') || 'auth'}: ${i.message}`).join('; ')}`);
  return {
    mount,
    prefix,
    leaseMs: ms('lease', 30_000),
    auth: auth.data,
    connection: { address: q.address, namespace: q.namespace, timeout: ms('timeout', 30_000), ...(q.caFile ? { tls: { caFile: q.caFile, skipVerify: false } } : {}) },
  };
}

/** A record without `version` and `updatedAt`: what tells whether a save changes anything. */
const contentOf = ({ version: _v, updatedAt: _u, ...rest }: RotationState): string => JSON.stringify(rest);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parseLease(data: Record<string, unknown> | undefined): Lease | undefined {
  const text = data?.lock;
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    const value = JSON.parse(text) as Lease;
    return typeof value.token === 'string' && typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

export class VaultStateStore implements StateStore {
  readonly location: string;
  private readonly conn: Connection;
  private readonly label: string;
  private session: Session | undefined;
  private ready: Promise<void> | undefined;
  /**
   * Per plan, the state record's version and the KV version it was last read or written at by this
   * process: a save writes with that cas at once instead of reading the record again (a write by anyone
   * else in between changes the KV version, so cas still refuses it), and what it held (`content`): a
   * save that changes nothing but `updatedAt` writes nothing. Dropped when the plan's lock is released.
   */
  private readonly stateSeen = new Map<string, { version: number; kvVersion: number; content?: string }>();
  /** Per plan, the audit history this process last wrote and its KV version: the next append's starting point (cas again). */
  private readonly auditSeen = new Map<string, { records: AuditRecord[]; kvVersion: number }>();
  /**
   * Per plan whose lock this process holds, its key ledger as last read or written here: every ledger
   * write happens under the plan's lock, so it cannot change meanwhile (and a save still carries cas).
   */
  private readonly ledgerSeen = new Map<string, { text: string; version: number }>();
  /** The plans whose lock this process holds. */
  private readonly locked = new Set<string>();

  constructor(
    private readonly config: VaultStateConfig,
    private readonly ctx: VaultContext,
  ) {
    this.location = `vault://${config.mount}/${config.prefix}`;
    this.label = `vault state ${config.mount}/${config.prefix}`;
    this.conn = connect(config.connection, ctx, `--state ${this.location}`, '`address=https://…` in the --state URL');
  }

  /** Log in once, and check the mount is KV v2, before the first call. */
  private start(): Promise<void> {
    return (this.ready ??= (async () => {
      this.session = await login(this.conn, this.config.auth, this.ctx, this.label);
      await kv2(this.conn, this.config.mount, this.config.prefix, this.label, () => this.session).checkMount();
    })().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    }));
  }

  private async kv(kind: 'state' | 'ledger' | 'lock' | 'audit' | 'unusable', name: string): Promise<Kv2> {
    await this.start();
    const kv = kv2(this.conn, this.config.mount, `${this.config.prefix}/${kind}/${name}`, this.label, () => this.session);
    // A run outlives its login token (an AppRole or Kubernetes login lasts its role's TTL; a blocking run
    // lasts days): once the token is gone, log in again and retry the call once. A VAULT_TOKEN cannot be renewed so.
    const relogin = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (e) {
        if (!(e instanceof KeyrotError) || e.code !== 'provider-auth-failed' || this.config.auth.method === 'token') throw e;
        this.ready = undefined;
        await this.start();
        return call(...args);
      }
    };
    return { ...kv, read: relogin(kv.read), write: relogin(kv.write) };
  }

  private async names(kind: 'state' | 'ledger' | 'audit'): Promise<string[]> {
    await this.start();
    return (await listKv2(this.conn, this.config.mount, `${this.config.prefix}/${kind}`, this.label, () => this.session)).filter((n) => !n.endsWith('/'));
  }

  private where(kind: string, plan: string) {
    return `${this.location}/${kind}/${plan}`;
  }

  /** The stored record and the KV version it is in (0: none). */
  private async current(plan: string): Promise<{ record: RotationState | undefined; kvVersion: number }> {
    const found = await (await this.kv('state', plan)).read();
    const text = found?.data?.record;
    if (!found || typeof text !== 'string' || text === '') {
      this.stateSeen.set(plan, { version: 0, kvVersion: found?.version ?? 0 });
      return { record: undefined, kvVersion: found?.version ?? 0 };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new KeyrotError('state-corrupt', { path: this.where('state', plan), plan, reason: `it is not JSON (${(e as Error).message})` });
    }
    const problem = stateProblem(value, plan);
    if (problem) throw new KeyrotError('state-corrupt', { path: this.where('state', plan), plan, ...problem });
    this.stateSeen.set(plan, { version: (value as RotationState).version, kvVersion: found.version, content: contentOf(value as RotationState) });
    return { record: value as RotationState, kvVersion: found.version };
  }

  async load(plan: string): Promise<RotationState | undefined> {
    return (await this.current(plan)).record;
  }

  async save(state: RotationState): Promise<RotationState> {
    const { plan } = state;
    // The record this process last read or wrote, if it is the one being replaced: no need to read it
    // again (cas refuses the write if anyone wrote since). Otherwise read it: a corrupt record is never
    // overwritten here (current() throws), keyrot abandon sets it aside first.
    const seen = this.stateSeen.get(plan);
    const content = contentOf(state);
    if (seen?.version === state.version && seen.content === content) return { ...state }; // nothing changed: Vault already holds it
    let kvVersion = seen?.version === state.version ? seen.kvVersion : undefined;
    if (kvVersion === undefined) {
      const found = await this.current(plan);
      const storedVersion = found.record?.version ?? 0;
      if (storedVersion !== state.version) throw new KeyrotError('state-conflict', { plan, expected: state.version, found: storedVersion });
      kvVersion = found.kvVersion;
    }
    const next = { ...state, version: state.version + 1 };
    const written = await (await this.kv('state', plan)).write({ record: JSON.stringify(next) }, kvVersion, []);
    if (written === 'cas-mismatch') {
      this.stateSeen.delete(plan);
      const found = await this.load(plan).then((r) => r?.version ?? 0, () => 'unreadable');
      throw new KeyrotError('state-conflict', { plan, expected: state.version, found });
    }
    this.stateSeen.set(plan, { version: next.version, kvVersion: written, content });
    return next;
  }

  async setAside(plan: string): Promise<string> {
    this.stateSeen.delete(plan);
    const kv = await this.kv('state', plan);
    const found = await kv.read();
    const name = `${plan}-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    await (await this.kv('unusable', name)).write({ record: typeof found?.data?.record === 'string' ? found.data.record : '' }, 0, []);
    if ((await kv.write({ record: '' }, found?.version ?? 0, [])) === 'cas-mismatch') {
      throw new KeyrotError('state-conflict', { plan, expected: 'the unusable record', found: 'a newer write' });
    }
    return this.where('unusable', name);
  }

  async list(): Promise<RotationState[]> {
    const records = await Promise.all((await this.names('state')).map((plan) => this.load(plan)));
    return records.filter((r): r is RotationState => r !== undefined);
  }

  async lock(plan: string, holder: LockHolder, waitMs: number): Promise<PlanLock> {
    const kv = await this.kv('lock', plan);
    const { leaseMs } = this.config;
    const mine: Lease = { ...holder, token: randomBytes(8).toString('hex'), expiresAt: '', leaseMs };
    const giveUpAt = Date.now() + waitMs;
    // The lease another holds, as first seen unchanged: expired once it has not been renewed for a
    // whole lease on this host's clock (no trust in the other host's clock), or once its written
    // expiry is a further lease in the past (a clock skew of up to one lease is tolerated).
    let seen: { version: number; at: number } | undefined;
    let version: number;
    let unanswered = 0;
    for (;;) {
      const found = await kv.read();
      const current = found && !found.deleted ? parseLease(found.data) : undefined;
      const foundVersion = found?.version ?? 0;
      if (current?.token === mine.token) {
        // Our own lease (the token is this call's): a write of ours took effect though its answer was lost.
        version = foundVersion;
        break;
      }
      if (seen?.version !== foundVersion) seen = { version: foundVersion, at: Date.now() };
      const expired =
        current !== undefined &&
        (Date.now() - seen.at >= (current.leaseMs || leaseMs) || Date.now() > Date.parse(current.expiresAt) + (current.leaseMs || leaseMs));
      if (!current || expired) {
        const lease = { ...mine, expiresAt: new Date(Date.now() + leaseMs).toISOString() };
        let written: number | 'cas-mismatch';
        try {
          written = await kv.write({ lock: JSON.stringify(lease) }, foundVersion, []);
        } catch (e) {
          // No answer (a timeout, a dropped connection): the write may have taken effect. Look again,
          // where our token tells; twice at most.
          if (!(e instanceof KeyrotError) || !UNANSWERED.has(e.code) || ++unanswered > 2) throw e;
          continue;
        }
        if (written !== 'cas-mismatch') {
          version = written;
          break;
        }
        continue; // another took it (or renewed it) in between: look again
      }
      if (Date.now() >= giveUpAt) {
        throw new KeyrotError('lock-held', { plan, holder: `${describeHolder(current)}, lease until ${current.expiresAt}` });
      }
      await sleep(Math.min(POLL_MS, Math.max(50, giveUpAt - Date.now())));
    }

    this.locked.add(plan);
    const state: { lost: string | undefined } = { lost: undefined };
    let expiresAt = Date.now() + leaseMs;
    let beating = Promise.resolve();
    // Renew three times a lease; a renewal refused by cas means another took the lock over (we
    // stalled past the lease): say so, and the runner stops before its next step.
    const renew = async () => {
      if (state.lost) return;
      try {
        const next = Date.now() + leaseMs;
        const written = await kv.write({ lock: JSON.stringify({ ...mine, expiresAt: new Date(next).toISOString() }) }, version, []);
        if (written === 'cas-mismatch') {
          const now = parseLease((await kv.read().catch(() => undefined))?.data);
          state.lost = now ? `taken over by ${describeHolder(now)}` : 'the lock was released by another process';
          return;
        }
        version = written;
        expiresAt = next;
      } catch (e) {
        if (Date.now() >= expiresAt) state.lost = `the lease expired: it could not be renewed for ${formatDuration(leaseMs)} (${(e as Error).message})`;
      }
    };
    const heartbeat = setInterval(() => void (beating = renew()), Math.max(100, Math.floor(leaseMs / 3)));
    heartbeat.unref();

    return {
      get lost() {
        if (!state.lost && Date.now() >= expiresAt) state.lost = `the lease expired (not renewed within ${formatDuration(leaseMs)})`;
        return state.lost;
      },
      release: async () => {
        this.locked.delete(plan);
        this.stateSeen.delete(plan);
        this.auditSeen.delete(plan);
        this.ledgerSeen.delete(plan);
        clearInterval(heartbeat);
        await beating;
        if (state.lost) return;
        await kv.write({ lock: '' }, version, []).catch(() => undefined); // cas: never frees a lock another took over
      },
    };
  }

  ledger(plan: string): PlanLedger {
    return {
      where: this.where('ledger', plan),
      load: async () => {
        let seen = this.ledgerSeen.get(plan);
        if (!seen) {
          const found = await (await this.kv('ledger', plan)).read();
          const text = found?.data?.ledger;
          seen = { text: typeof text === 'string' ? text : '', version: found?.version ?? 0 };
          if (this.locked.has(plan)) this.ledgerSeen.set(plan, seen);
        }
        const { text, version } = seen;
        if (text === '') return { keys: [] as LedgerEntry[], version };
        try {
          // Parsed on every load: each caller gets its own copy to change.
          const keys = (JSON.parse(text) as { keys: LedgerEntry[] }).keys;
          if (!Array.isArray(keys)) throw new Error('no "keys" list');
          return { keys, version };
        } catch (e) {
          this.ledgerSeen.delete(plan);
          throw new KeyrotError('state-corrupt', { path: this.where('ledger', plan), plan, reason: `the key ledger is not readable (${(e as Error).message})` });
        }
      },
      save: async (keys, version) => {
        const text = JSON.stringify({ keys });
        const written = await (await this.kv('ledger', plan)).write({ ledger: text }, version, []);
        if (written === 'cas-mismatch') {
          this.ledgerSeen.delete(plan);
          throw new KeyrotError('state-conflict', { plan, expected: version, found: 'a newer ledger' });
        }
        if (this.locked.has(plan)) this.ledgerSeen.set(plan, { text, version: written });
        return written;
      },
    };
  }

  ledgerPlans(): Promise<string[]> {
    return this.names('ledger');
  }

  readonly audit: AuditTrail = {
    append: (record) => this.appendTo(record.plan, [{ ...record, actor: actor() }]),
    copyIn: async (records) => {
      const plans = [...new Set(records.map((r) => r.plan))];
      for (const plan of plans) await this.appendTo(plan, records.filter((r) => r.plan === plan));
    },
    read: async () => (await this.audit.scan()).records,
    scan: async () => {
      let unreadable = 0;
      const all: AuditRecord[] = [];
      for (const plan of await this.names('audit')) {
        const found = await (await this.kv('audit', plan)).read();
        const read = this.recordsIn(found?.data?.records);
        unreadable += read.unreadable;
        all.push(...read.records);
      }
      return { records: all.sort((a, b) => a.time.localeCompare(b.time)), unreadable, where: `${this.location}/audit/` };
    },
  };

  /** Append to a plan's bounded history with cas, reading again when another process appended in between. */
  private async appendTo(plan: string, lines: AuditRecord[]): Promise<void> {
    const kv = await this.kv('audit', plan);
    for (let i = 0; i < APPEND_TRIES; i++) {
      // Start from the history this process last wrote, if any (cas refuses it if another appended since).
      let seen = this.auditSeen.get(plan);
      if (!seen) {
        const found = await kv.read();
        const { records, unreadable } = this.recordsIn(found?.data?.records);
        if (unreadable > 0 && records.length === 0) {
          throw new KeyrotError('state-corrupt', { path: this.where('audit', plan), plan, reason: 'the audit history is not a list of records' });
        }
        seen = { records, kvVersion: found?.version ?? 0 };
      }
      const next = [...seen.records, ...lines].slice(-AUDIT_KEEP);
      const written = await kv.write({ records: JSON.stringify(next) }, seen.kvVersion, []);
      if (written !== 'cas-mismatch') {
        // Kept only while this process holds the plan's lock (the appends of one rotation).
        if (this.locked.has(plan)) this.auditSeen.set(plan, { records: next, kvVersion: written });
        return;
      }
      if (this.auditSeen.delete(plan)) continue; // what we remembered was stale: read it now
      await sleep(20 + Math.random() * 80);
    }
    throw new KeyrotError('state-conflict', { plan, expected: 'to append an audit record', found: `${APPEND_TRIES} concurrent writers` });
  }

  private recordsIn(text: unknown): { records: AuditRecord[]; unreadable: number } {
    if (typeof text !== 'string' || text === '') return { records: [], unreadable: 0 };
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      return { records: [], unreadable: 1 };
    }
    if (!Array.isArray(list)) return { records: [], unreadable: 1 };
    const records = list.flatMap((r) => parseAuditLine(JSON.stringify(r)) ?? []);
    return { records, unreadable: list.length - records.length };
  }
}
