// The few things the redis issuer asks of @redis/client (node-redis's core: no dependencies, and no
// debug log that would print a command's arguments): one admin connection per operation, opened,
// used and closed, and a login as the rotated user to prove a password. Failures leave as KeyrotErrors.
import { createClient } from '@redis/client';
import { KeyrotError } from '../../../errors.js';
import { redact } from '../../../secrets/redact.js';
import type { ProviderContext } from '../../types.js';
import { adminPassword } from '../database/admin-password.js';
import { databaseError, type FailureKind } from '../database/errors.js';
import type { RedisIssuerConfig } from './schema.js';
import { readCaFile } from '../../../ca-file.js';

export type Send = (args: string[]) => Promise<unknown>;

/** The server's clock (TIME), in ms: when a password was added, to compare with connections' ages. */
export async function serverTime(send: Send): Promise<number> {
  const [seconds, micros] = (await send(['TIME'])) as [string, string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

export interface RedisApi {
  readonly where: string;
  /** `fn` on one admin connection, closed afterwards. */
  admin<T>(operation: string, fn: (send: Send) => Promise<T>): Promise<T>;
  /** Authenticate a new connection as `user`; a refused password is verify-failed. */
  loginAs(keyId: string, user: string, password: string): Promise<void>;
}

function kindOf(e: unknown): FailureKind {
  const code = (e as { code?: string })?.code ?? '';
  const message = (e as Error)?.message ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE'].includes(code)) return 'unreachable';
  if (/timeout/i.test(message) || code === 'ETIMEDOUT') return 'timeout';
  if (/^(WRONGPASS|NOAUTH)/.test(message)) return 'auth';
  if (/^NOPERM/.test(message)) return 'denied';
  return 'other';
}

export function redisApi(config: RedisIssuerConfig, ctx: ProviderContext, label: string): RedisApi {
  const where = `${config.host}:${config.port}`;
  const tls = config.tls
    ? { tls: true as const, servername: config.host, rejectUnauthorized: config.tls.mode === 'verify-full', ...(config.tls.caFile ? { ca: readCaFile(ctx.planDir, config.tls.caFile, label).toString('utf8') } : {}) }
    : {};

  async function connect(username: string, password: string) {
    const client = createClient({
      username, password, socket: { host: config.host, port: config.port, connectTimeout: config.timeout, reconnectStrategy: false, ...tls },
      commandOptions: { timeout: config.timeout },
    } as Parameters<typeof createClient>[0]);
    client.on('error', () => undefined); // a dropped connection fails the command in flight instead
    // connectTimeout covers the TCP connection only, and commandOptions the commands sent once connected:
    // the handshake between (AUTH, HELLO) has no timer, and a server that stops answering there would hold
    // keyrot forever. One deadline over the whole connect.
    let late = false;
    const deadline = setTimeout(() => {
      late = true;
      client.destroy();
    }, config.timeout);
    try {
      await client.connect();
    } catch (e) {
      if (late) throw Object.assign(new Error(`no answer within ${config.timeout} ms while logging in`), { code: 'ETIMEDOUT' });
      throw e;
    } finally {
      clearTimeout(deadline);
    }
    return client;
  }

  return {
    where,
    async admin(operation, fn) {
      let client: Awaited<ReturnType<typeof connect>> | undefined;
      try {
        client = await connect(config.admin.user, await adminPassword(config.admin, ctx, label, 'REDISCLI_AUTH'));
        const c = client;
        return await fn((args) => c.sendCommand(args));
      } catch (e) {
        throw databaseError(kindOf(e), e, { provider: label, operation, user: config.admin.user, where, timeoutMs: config.timeout });
      } finally {
        client?.destroy();
      }
    },
    async loginAs(keyId, user, password) {
      try {
        (await connect(user, password)).destroy();
      } catch (e) {
        const kind = kindOf(e);
        if (kind === 'auth') throw new KeyrotError('verify-failed', { keyId, reason: redact((e as Error).message) });
        throw databaseError(kind, e, { provider: label, operation: 'AUTH', user, where, timeoutMs: config.timeout });
      }
    },
  };
}
