// The few things the postgresql issuer asks of `pg`: the admin connection (one, kept between the
// operations of a rotation that follow each other, closed once idle; an idle one never keeps the
// process alive), optionally in a transaction, and a login as a rotated role to prove its password.
// Every failure leaves as a KeyrotError (database/errors.ts).
import pg from 'pg';
import { KeyrotError } from '../../../errors.js';
import { redact } from '../../../secrets/redact.js';
import type { ProviderContext } from '../../types.js';
import { adminPassword } from '../database/admin-password.js';
import { databaseError, type Call, type FailureKind } from '../database/errors.js';
import type { PostgresqlIssuerConfig } from './schema.js';
import { readCaFile } from '../../../ca-file.js';

export type Query = <R extends pg.QueryResultRow>(text: string, params?: unknown[]) => Promise<R[]>;

export interface PgApi {
  readonly where: string;
  /** `fn` on one admin connection, closed afterwards; in a transaction (committed when fn resolves) with `transaction`. */
  admin<T>(operation: string, fn: (query: Query) => Promise<T>, options?: { transaction?: boolean }): Promise<T>;
  /** Log in as `user` with `password` and answer current_user; a refused login is verify-failed. */
  loginAs(keyId: string, user: string, password: string): Promise<string>;
}

/** SQLSTATE and Node error codes, sorted into what a user can act on. */
function kindOf(e: unknown): FailureKind {
  const code = (e as { code?: string })?.code ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE'].includes(code)) return 'unreachable';
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test((e as Error)?.message ?? '')) return 'timeout';
  if (code === '28P01' || code === '28000') return 'auth';
  if (code === '42501') return 'denied';
  if (code === '42704') return 'missing';
  return 'other';
}

export function pgApi(config: PostgresqlIssuerConfig, ctx: ProviderContext, label: string): PgApi {
  const where = `${config.host}:${config.port}`;
  const ssl = config.tls
    ? config.tls.mode === 'require'
      ? { rejectUnauthorized: false }
      : { rejectUnauthorized: true, servername: config.host, ...(config.tls.caFile ? { ca: readCaFile(ctx.planDir, config.tls.caFile, label).toString('utf8') } : {}) }
    : false;
  const options = (user: string, password: string, database: string): pg.ClientConfig => ({
    host: config.host, port: config.port, user, password, database, ssl,
    connectionTimeoutMillis: config.timeout, query_timeout: config.timeout, statement_timeout: config.timeout,
    application_name: 'keyrot',
  });
  const call = (operation: string, user = config.admin.user): Call => ({ provider: label, operation, user, where, timeoutMs: config.timeout });

  // Each login costs a SCRAM exchange (PBKDF2 on both sides): a rotation's operations share one.
  let pool: pg.Pool | undefined;
  async function adminClient(): Promise<pg.PoolClient> {
    pool ??= new pg.Pool({ ...options(config.admin.user, await adminPassword(config.admin, ctx, label, 'PGPASSWORD'), config.database), max: 1, idleTimeoutMillis: 250, allowExitOnIdle: true });
    pool.on('error', () => undefined); // an idle connection dropped by the server: the next operation opens another
    return pool.connect();
  }

  async function connect(user: string, password: string, database: string): Promise<pg.Client> {
    const client = new pg.Client(options(user, password, database));
    client.on('error', () => undefined); // a connection dropped between queries fails the next query instead
    await client.connect();
    return client;
  }

  return {
    where,
    async admin(operation, fn, { transaction = false } = {}) {
      let client: pg.PoolClient | undefined;
      let failed: Error | undefined;
      try {
        client = await adminClient();
        const query: Query = async (text, params) => (await client!.query(text, params)).rows;
        if (!transaction) return await fn(query);
        await client.query('BEGIN');
        const result = await fn(query);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        failed = e as Error;
        throw databaseError(kindOf(e), e, call(operation));
      } finally {
        client?.release(failed); // after a failure the connection is closed, and an open transaction with it
      }
    },
    async loginAs(keyId, user, password) {
      let client: pg.Client | undefined;
      try {
        client = await connect(user, password, config.verifyDatabase ?? config.database);
        const rows = (await client.query<{ user: string }>('SELECT current_user AS user')).rows;
        return rows[0]!.user;
      } catch (e) {
        const kind = kindOf(e);
        if (kind === 'auth') throw new KeyrotError('verify-failed', { keyId, reason: redact((e as Error).message) });
        throw databaseError(kind, e, call('log in', user));
      } finally {
        await client?.end().catch(() => undefined);
      }
    },
  };
}
