// Revoke only: end the sessions a leaked user (any host part) has open, never keyrot's own. Seeing
// every session takes PROCESS; ending another user's takes CONNECTION ADMIN (MySQL 8: CONNECTION_ADMIN)
// or SUPER. Without them this refuses with the GRANT to run, rather than report "none" it cannot know.
import { KeyrotError } from '../../../errors.js';
import { redact } from '../../../secrets/redact.js';
import type { OpenSessions } from '../../types.js';
import type { MysqlApi, Query } from './client.js';
import * as sql from './sql.js';

/** The issuer's OpenSessions: `userOf` answers the user whose current key `keyId` is (undefined: none is). */
export function killSessions(db: MysqlApi, provider: string, admin: string, userOf: (query: Query, flavor: sql.Flavor, keyId: string) => Promise<string | undefined>): OpenSessions {
  return {
    explain: sql.killExplained,
    end: (keyId) =>
      db.admin('KILL CONNECTION', async (query, flavor) => {
        const user = await userOf(query, flavor, keyId);
        return { ended: user === undefined ? 0 : await endSessionsOf(user, { query, flavor, keyId, provider, admin }) };
      }),
  };
}

interface KillContext {
  query: Query;
  flavor: sql.Flavor;
  keyId: string;
  /** The issuer's label, for messages. */
  provider: string;
  /** keyrot's login as configured, when the server does not say who it is. */
  admin: string;
}

/** KILL CONNECTION for each session of `user`; resolves how many were ended. */
async function endSessionsOf(user: string, { query, flavor, keyId, provider, admin }: KillContext): Promise<number> {
  const [me = `${admin}@%`] = (await query<{ me: string }>('SELECT CURRENT_USER() AS me')).map((r) => r.me);
  const notEnded = (reason: string, privileges: string) =>
    new KeyrotError('db-sessions-not-ended', { provider, keyId, login: user, user: me, reason, grant: sql.grantTo(privileges, me) });
  // Without PROCESS a login sees only its own sessions: "none to end" would be a guess.
  const [seen] = await query<{ may_see: number }>(sql.SESSIONS, [user]);
  if (!Number(seen?.may_see)) throw notEnded('it lacks the PROCESS privilege, so it cannot see them', `PROCESS, ${sql.KILL_PRIVILEGE[flavor]}`);
  let ended = 0;
  for (const { id } of await query<{ id: number }>(sql.SESSION_IDS, [user])) {
    try {
      await query(sql.kill(Number(id)));
      ended++;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ER_NO_SUCH_THREAD') continue; // it ended on its own meanwhile
      if (code === 'ER_KILL_DENIED_ERROR') throw notEnded(redact((e as Error).message), sql.KILL_PRIVILEGE[flavor]);
      throw e;
    }
  }
  return ended;
}
