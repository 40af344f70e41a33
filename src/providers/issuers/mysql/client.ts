// The few things the mysql issuer asks of `mysql2`: one admin connection per operation (opened, used,
// closed), the server's flavor (MariaDB or MySQL), and a login as a rotated user to prove a password.
// Failures leave as KeyrotErrors (database/errors.ts); mysql2 keeps a failed statement on the error
// (`sql`), which is never read: only the server's message, through the output filter.
import mysql from 'mysql2/promise';
import { KeyrotError } from '../../../errors.js';
import { redact } from '../../../secrets/redact.js';
import type { ProviderContext } from '../../types.js';
import { adminPassword } from '../database/admin-password.js';
import { databaseError, type FailureKind } from '../database/errors.js';
import type { MysqlIssuerConfig } from './schema.js';
import { VERSION, type Flavor } from './sql.js';
import { readCaFile } from '../../../ca-file.js';

export type Query = <R>(text: string, params?: unknown[]) => Promise<R[]>;

export interface MysqlApi {
  readonly where: string;
  /** `fn` on one admin connection, closed afterwards, told which server it is. */
  admin<T>(operation: string, fn: (query: Query, flavor: Flavor) => Promise<T>): Promise<T>;
  /** Log in as `user` with `password` and answer CURRENT_USER(); a refused login is verify-failed. */
  loginAs(keyId: string, user: string, password: string): Promise<string>;
}

const AUTH = ['ER_ACCESS_DENIED_ERROR', 'ER_ACCOUNT_HAS_BEEN_LOCKED', 'ER_DBACCESS_DENIED_ERROR'];
const DENIED = ['ER_SPECIFIC_ACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_COLUMNACCESS_DENIED_ERROR', 'ER_PROCACCESS_DENIED_ERROR'];

function kindOf(e: unknown): FailureKind {
  const code = (e as { code?: string })?.code ?? '';
  const errno = (e as { errno?: number })?.errno;
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE', 'PROTOCOL_CONNECTION_LOST'].includes(code)) return 'unreachable';
  if (code === 'ETIMEDOUT' || /timeout/i.test((e as Error)?.message ?? '')) return 'timeout';
  if (AUTH.includes(code) || errno === 4151 || errno === 3118) return 'auth';
  if (DENIED.includes(code)) return 'denied';
  return 'other';
}

export function mysqlApi(config: MysqlIssuerConfig, ctx: ProviderContext, label: string): MysqlApi {
  const where = `${config.host}:${config.port}`;
  const ssl = config.tls
    ? { rejectUnauthorized: config.tls.mode === 'verify-full', ...(config.tls.caFile ? { ca: readCaFile(ctx.planDir, config.tls.caFile, label).toString('utf8') } : {}) }
    : undefined;
  const connect = (user: string, password: string, database?: string) =>
    mysql.createConnection({ host: config.host, port: config.port, user, password, connectTimeout: config.timeout, ...(ssl ? { ssl } : {}), ...(database ? { database } : {}) });

  return {
    where,
    async admin(operation, fn) {
      let c: mysql.Connection | undefined;
      try {
        c = await connect(config.admin.user, await adminPassword(config.admin, ctx, label, 'MYSQL_PWD'));
        c.on('error', () => undefined);
        const conn = c;
        const query: Query = async <R>(text: string, params: unknown[] = []) => (await conn.query({ sql: text, values: params, timeout: config.timeout }))[0] as R[];
        const [{ version }] = (await query<{ version: string }>(VERSION)) as [{ version: string }];
        return await fn(query, /mariadb/i.test(version) ? 'mariadb' : 'mysql');
      } catch (e) {
        throw databaseError(kindOf(e), e, { provider: label, operation, user: config.admin.user, where, timeoutMs: config.timeout });
      } finally {
        await c?.end().catch(() => c?.destroy());
      }
    },
    async loginAs(keyId, user, password) {
      let c: mysql.Connection | undefined;
      try {
        c = await connect(user, password, config.verifyDatabase);
        c.on('error', () => undefined);
        const [rows] = await c.query('SELECT CURRENT_USER() AS me');
        return String((rows as Array<{ me: string }>)[0]!.me).replace(/@[^@]*$/, '');
      } catch (e) {
        const kind = kindOf(e);
        if (kind === 'auth') throw new KeyrotError('verify-failed', { keyId, reason: redact((e as Error).message) });
        throw databaseError(kind, e, { provider: label, operation: 'log in', user, where, timeoutMs: config.timeout });
      } finally {
        await c?.end().catch(() => c?.destroy());
      }
    },
  };
}
