// The Vault state store's corner of Vault: one KV v2 secret per plan and purpose under the prefix
// (state/<plan>, ledger/<plan>, lock/<plan>, audit/<plan>, unusable/<plan>-<time>), reached through
// one login, checked once to be a KV v2 mount, and logged into again when a long run outlives its token.
import { KeyrotError } from '../errors.js';
import { login } from '../vault/auth.js';
import { type Connection, connect } from '../vault/client.js';
import type { Session } from '../vault/errors.js';
import { type Kv2, kv2, listDetailedPage, listKv2, type ListedSecret } from '../vault/kv2.js';
import type { VaultContext } from '../vault/schema.js';
import type { VaultStateConfig } from './vault-address.js';

export type Purpose = 'state' | 'ledger' | 'lock' | 'audit' | 'unusable';

export class VaultSpace {
  readonly location: string;
  private readonly conn: Connection;
  private readonly label: string;
  private session: Session | undefined;
  private ready: Promise<void> | undefined;
  /** Mirrors (vault-mirror.ts) are written until the server refuses one: then not again in this process. */
  private mirrors = true;

  constructor(
    readonly config: VaultStateConfig,
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

  /** The secret `<prefix>/<purpose>/<name>`. */
  async kv(purpose: Purpose, name: string): Promise<Kv2> {
    await this.start();
    const kv = kv2(this.conn, this.config.mount, `${this.config.prefix}/${purpose}/${name}`, this.label, () => this.session);
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

  /** The plans that have a secret of this purpose. */
  async names(purpose: 'state' | 'ledger' | 'audit'): Promise<string[]> {
    await this.start();
    return (await listKv2(this.conn, this.config.mount, `${this.config.prefix}/${purpose}`, this.label, () => this.session)).filter((n) => !n.endsWith('/'));
  }

  /** One page of OpenBao's detailed listing of this purpose's secrets (undefined: no such listing here). */
  async listDetailed(purpose: 'state' | 'ledger' | 'audit' | 'lock', after: string, limit: number): Promise<Map<string, ListedSecret> | undefined> {
    await this.start();
    return listDetailedPage(this.conn, this.config.mount, `${this.config.prefix}/${purpose}`, after, limit);
  }

  /** Replace the secret's custom_metadata (a mirror of its data), and keep at most `maxVersions` of it if given: best effort, never an error. */
  async writeMirror(purpose: 'state' | 'ledger' | 'audit' | 'lock', name: string, custom: Record<string, string>, maxVersions?: number): Promise<void> {
    if (!this.mirrors) return;
    await (await this.kv(purpose, name)).setCustomMetadata(custom, maxVersions).catch((e: unknown) => {
      // Refused (no create/update on metadata/…): say nothing, read the secrets one by one instead.
      if (e instanceof KeyrotError && (e.code === 'provider-denied' || e.code === 'provider-auth-failed')) this.mirrors = false;
    });
  }

  /** Where a plan's secret of this purpose is, as messages name it. */
  where(purpose: Purpose, plan: string): string {
    return `${this.location}/${purpose}/${plan}`;
  }
}
