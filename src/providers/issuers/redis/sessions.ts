// Revoke only: end the connections a leaked password opened. One ACL user holds every password, and
// Redis does not say which one a connection used, so a connection is ended only when it cannot be
// using a password still active: it was opened before the earliest of them was added (the session
// gate's watermark, passwords.ts). In a revoke with no rotation in flight, the leaked password is
// removed before its replacement is added: then no password of the user is active, and every one of
// its connections is the leaked password's (or an older, removed one's). Those opened while both
// worked (a rotation's overlap) may be on the replacement: they are left open, counted, and said why.
// "Opened before" is the session gate's rule: at or under the watermark taken right after the password
// was added (ids only grow), which is certain; the age test only matters after a restart, and a
// connection it could misjudge (opened within a second of the password being added) cannot hold a
// password that was not yet published.
import { KeyrotError } from '../../../errors.js';
import { redact } from '../../../secrets/redact.js';
import type { OpenSessions } from '../../types.js';
import { serverTime, type RedisApi, type Send } from './client.js';
import * as cmd from './commands.js';
import { openedBefore, type Connection, type PasswordKey } from './passwords.js';

interface Lookups {
  user: string;
  admin: string;
  provider: string;
  keys(send: Send): Promise<PasswordKey[]>;
  clients(send: Send): Promise<Connection[]>;
}

export function killConnections(redis: RedisApi, { user, admin, provider, keys, clients }: Lookups): OpenSessions {
  return {
    explain: cmd.killExplained(user),
    sharedLogin: `one ACL user (${user}) holds every password, and Redis does not say which password a connection used`,
    end: (keyId) =>
      redis.admin('CLIENT KILL', async (send) => {
        const all = await keys(send);
        if (all.find((k) => k.id === keyId)?.status !== 'inactive') return { ended: 0 }; // gone, or not revoked
        const active = all.filter((k) => k.status === 'active').sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
        const mine = (await clients(send)).filter((c) => c.user === user && user !== admin);
        const safe = active[0] ? openedBefore(mine, active[0], await serverTime(send)) : mine;
        let ended = 0;
        for (const c of safe) {
          try {
            ended += Number(await send(cmd.killClient(c.id))); // 0: it closed on its own meanwhile
          } catch (e) {
            if (!/^NOPERM/.test((e as Error)?.message ?? '')) throw e;
            throw new KeyrotError('db-sessions-not-ended', { provider, keyId, login: user, user: admin, reason: redact((e as Error).message), grant: cmd.allowCommands(admin, [cmd.REVOKE_COMMAND]) });
          }
        }
        const left = mine.length - safe.length;
        return { ended, ...(left ? { leftOpen: { count: left, why: `opened as ${user} since the replacement's password was added, they may be using it (Redis does not say which password a connection used)` } } : {}) };
      }),
  };
}
