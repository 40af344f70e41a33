// In-memory providers for unit tests: small, honest implementations of the two interfaces.
import { randomBytes } from 'node:crypto';
import { KeyrotError } from '../../src/errors.js';
import type { Credential, KeyInfo, KeyIssuer, LastUse, OpenSessions, Ownership, RetireResult, SecretStore } from '../../src/providers/types.js';

export class FakeIssuer implements KeyIssuer {
  readonly label = 'fake issuer';
  readonly maxKeys = 2;
  keys: (KeyInfo & { secret: string })[] = [];
  lastUse = new Map<string, Date>();
  /** Every mutating call, in order: tests check what happened before what. */
  calls: string[] = [];
  reportsLastUse = true;
  /** Answer as a database does (LastUse `sessions`): the sessions open now per key id, instead of a date. */
  sessions: Map<string, number> | undefined;
  /** As a database login: the sessions a revoke may end (see OpenSessions). */
  openSessions: OpenSessions | undefined;
  rejectVerify = false;
  mostKeysSeen = 0;
  private n = 0;

  constructor(private readonly now: () => Date) {}

  async list() {
    return this.keys.map(({ id, status, createdAt }) => ({ id, status, createdAt }));
  }

  async create() {
    if (this.keys.length >= this.maxKeys) throw new Error('LimitExceeded: two keys already');
    const key = { id: `FAKE${++this.n}`, status: 'active' as const, createdAt: this.now(), secret: randomBytes(20).toString('base64url') };
    this.keys.push(key);
    this.mostKeysSeen = Math.max(this.mostKeysSeen, this.keys.length);
    this.calls.push(`create ${key.id}`);
    return { keyId: key.id, secret: key.secret, createdAt: key.createdAt };
  }

  async verify(c: Credential) {
    const key = this.keys.find((k) => k.id === c.keyId);
    if (this.rejectVerify || !key || key.secret !== c.secret || key.status !== 'active') {
      throw new KeyrotError('verify-failed', { keyId: c.keyId, reason: 'InvalidClientTokenId' });
    }
  }

  async lastUsed(id: string): Promise<LastUse> {
    if (this.sessions) return { reported: 'sessions', sessions: this.sessions.get(id) ?? 0, clients: '10.0.0.7' };
    if (!this.reportsLastUse) return { reported: false };
    return { reported: true, at: this.lastUse.get(id) ?? null, service: 'sts', region: 'us-east-1' };
  }

  private key(id: string) {
    const key = this.keys.find((k) => k.id === id);
    if (!key) throw new Error(`NoSuchEntity: ${id}`);
    return key;
  }

  async deactivate(id: string) {
    this.key(id).status = 'inactive';
    this.calls.push(`deactivate ${id}`);
  }

  async reactivate(id: string) {
    this.key(id).status = 'active';
    this.calls.push(`reactivate ${id}`);
  }

  async delete(id: string) {
    this.keys = this.keys.filter((k) => k.id !== id); // already gone is fine, as the contract says
    this.calls.push(`delete ${id}`);
  }

  /** Seed a key as if created earlier; returns its id. */
  seed(status: 'active' | 'inactive' = 'active', createdAt = this.now()): string {
    const id = `FAKE${++this.n}`;
    this.keys.push({ id, status, createdAt, secret: randomBytes(20).toString('base64url') });
    return id;
  }

  explain(op: string) {
    return `fake:${op}`;
  }
}

export class FakeStore implements SecretStore {
  readonly label: string;
  current: Credential | undefined;
  managed = true;
  served = new Set<string>();
  calls: string[] = [];
  failPublish = false;
  /** As the plan's `adopt: true` would tell a real store. */
  adopt = false;

  constructor(name = 'fake store') {
    this.label = name;
  }

  async ownership(): Promise<Ownership> {
    if (!this.current) return { state: 'absent' };
    return this.managed ? { state: 'managed', keyId: this.current.keyId } : { state: 'unmanaged', detail: 'no marker' };
  }

  async publish(c: Credential) {
    if (this.failPublish) throw new Error('connection reset');
    if (this.current && !this.managed && !this.adopt) throw new KeyrotError('store-unmanaged', { store: this.label, detail: 'no marker' });
    this.current = { ...c };
    this.managed = true;
    this.served.add(c.keyId);
    this.calls.push(`publish ${c.keyId}`);
  }

  async readBack() {
    return this.current ? { ...this.current } : undefined;
  }

  async onDeactivate(id: string): Promise<RetireResult> {
    this.served.delete(id);
    this.calls.push(`onDeactivate ${id}`);
  }

  async onReactivate(id: string): Promise<RetireResult> {
    this.served.add(id);
    this.calls.push(`onReactivate ${id}`);
  }

  async onDelete(id: string): Promise<RetireResult> {
    this.calls.push(`onDelete ${id}`);
  }

  explain(op: string) {
    return `${this.label}:${op}`;
  }
}
