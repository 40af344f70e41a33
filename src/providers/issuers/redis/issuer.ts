// The redis issuer: one ACL user, two passwords during the overlap. Create adds a fresh password by its
// hash (the old one keeps working); deactivate removes the old one by its hash (connections already
// authenticated stay so: the session gate waits for them), reactivate adds it back by hash, delete
// forgets the hash. Redis cannot say which password a connection used, so the session gate counts the
// user's connections opened before the newer password existed: those cannot be using it. A revoke ends
// the leaked password's connections that cannot be using a password still active (sessions.ts).
// Loaded only when a plan uses it (it pulls in @redis/client).
import { KeyrotError } from '../../../errors.js';
import { rememberSecret } from '../../../secrets/redact.js';
import { ledgerOf } from '../../ledger.js';
import type { IssuerOp, KeyIssuer, LastUse, ProviderContext } from '../../types.js';
import { newPassword, sha256Hex } from '../database/password.js';
import { redisApi, serverTime, type Send } from './client.js';
import * as cmd from './commands.js';
import { redisDoctor } from './doctor.js';
import { killConnections } from './sessions.js';
import { passwordLedger } from './ledger.js';
import { checkRoom, keysOf, parseClients, parseUser, sessionsOf, short, type PasswordKey } from './passwords.js';
import type { RedisIssuerConfig } from './schema.js';

const MAX_KEYS = 2;

export function createRedisIssuer(config: RedisIssuerConfig, ctx: ProviderContext): KeyIssuer {
  const { user } = config;
  const label = `redis user ${user} on ${config.host}:${config.port}`;
  const redis = redisApi(config, ctx, label);
  const ledger = passwordLedger(ledgerOf(ctx));
  const explain = (op: IssuerOp) => cmd.explainCommand(op, user, redis.where);

  async function passwords(send: Send): Promise<{ live: string[]; flags: string[] }> {
    const found = parseUser(await send(cmd.getUser(user)));
    if (!found) throw new KeyrotError('db-login-missing', { provider: label, reason: `ACL user "${user}" does not exist` });
    return { live: found.passwords, flags: found.flags };
  }
  const keys = async (send: Send) => keysOf(user, (await passwords(send)).live, await ledger.entries());

  /** Persist the ACL where the server keeps an ACL file; a server without one keeps it until restart (doctor says so). */
  async function save(send: Send): Promise<void> {
    await send(cmd.SAVE).catch((e: unknown) => {
      if (!/not configured to use an ACL file/i.test((e as Error)?.message ?? '')) throw e;
      ctx.note(`${label}: the server has no ACL file, so ACL SAVE cannot keep the change: it lasts until Redis restarts unless its configuration is rewritten (CONFIG REWRITE)`);
    });
  }

  const clients = async (send: Send) => parseClients(String(await send(cmd.CLIENTS)));

  async function find(send: Send, keyId: string): Promise<PasswordKey | undefined> {
    return (await keys(send)).find((k) => k.id === keyId);
  }
  return {
    label,
    maxKeys: MAX_KEYS,

    list: () => redis.admin('ACL GETUSER', async (send) => (await keys(send)).map(({ hash: _hash, ...key }) => key)),

    create: () =>
      redis.admin('ACL SETUSER', async (send) => {
        const { flags } = await passwords(send);
        checkRoom(label, user, flags, await keys(send), MAX_KEYS, explain('delete'));
        const secret = newPassword();
        rememberSecret(secret);
        const hash = sha256Hex(secret);
        const createdAt = new Date(await serverTime(send)).toISOString();
        const key: PasswordKey = { id: `${user}@${short(hash)}`, status: 'active', createdAt: new Date(createdAt), fingerprint: `sha256:${short(hash)}`, hash };
        // The ledger first: a run that dies before the ACL change leaves an entry for a hash nobody holds, which lists as nothing.
        await ledger.record(key, 'active', createdAt);
        await send(cmd.addHash(user, hash));
        await save(send);
        // Every connection opened from now on has a higher id: the session gate's watermark.
        const lastClientId = Math.max(...(await clients(send)).map((c) => c.id));
        await ledger.record(key, 'active', createdAt, { lastClientId });
        return { keyId: key.id, secret, createdAt: key.createdAt };
      }),

    verify: (credential) => redis.loginAs(credential.keyId, user, credential.secret),

    lastUsed: (keyId) =>
      redis.admin('CLIENT LIST', async (send): Promise<LastUse> =>
        sessionsOf(await keys(send), keyId, (await clients(send)).filter((c) => c.user === user), await serverTime(send))),

    deactivate: (keyId) =>
      redis.admin('ACL SETUSER', async (send) => {
        const key = await find(send, keyId);
        if (!key) throw new KeyrotError('db-key-not-found', { provider: label, keyId, login: user, found: 'no password with that hash' });
        if (key.status === 'inactive') return;
        await ledger.record(key, 'inactive'); // the hash is kept before Redis forgets it
        await send(cmd.removeHash(user, key.hash));
        await save(send);
      }),

    reactivate: (keyId) =>
      redis.admin('ACL SETUSER', async (send) => {
        const key = await find(send, keyId);
        if (!key) throw new KeyrotError('db-key-not-found', { provider: label, keyId, login: user, found: 'no password with that hash' });
        if (key.status === 'inactive') {
          await send(cmd.addHash(user, key.hash));
          await save(send);
        }
        await ledger.record(key, 'active');
      }),

    delete: (keyId) =>
      redis.admin('ACL SETUSER', async (send): Promise<void | 'gone'> => {
        const key = await find(send, keyId);
        if (!key) return 'gone';
        if (key.status === 'active') {
          await send(cmd.removeHash(user, key.hash));
          await save(send);
        }
        await ledger.forget(key.hash);
      }),

    explain,
    doctor: () => redisDoctor(config, redis),
    openSessions: killConnections(redis, { user, admin: config.admin.user, provider: label, keys, clients }),
  };
}
