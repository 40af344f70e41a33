// A MySQL/MariaDB user as keyrot's keys (database/login-key.ts). A user exists once per host part
// ('app'@'%' and 'app'@'localhost' are two accounts): keyrot rotates every host of a user as one, and
// refuses (db-login-variants) when they differ in password or lock, since it cannot tell which one
// consumers use. The server keeps a password hash per account and when it changed; a key is
// <user>@<the first 12 hex of the SHA-256 of that stored hash> (unique per password, revealing nothing
// of it), its age the server's password_last_changed.
//   a password that can log in, unlocked / ACCOUNT LOCK  -> key, active / inactive
//   keyrot's "no password" marker (see sql.ts), or none  -> no key: the next rotation's user
import { createHash } from 'node:crypto';
import { KeyrotError } from '../../../errors.js';
import type { KeyInfo } from '../../types.js';
import { keyIdOf } from '../database/login-key.js';

export interface AccountRow {
  user: string;
  host: string;
  plugin: string | null;
  auth: string | null;
  locked: boolean;
  /** password_last_changed, seconds since 1970 (server clock). */
  changed: number | null;
}

export type UserKey = KeyInfo & { login: string; hosts: string[] };

const digest = (auth: string) => createHash('sha256').update(auth).digest('hex').slice(0, 12);

/** One user's accounts (every host) as one key, or none; refused if its hosts disagree. */
export function keyOfUser(user: string, rows: AccountRow[], removed: (row: AccountRow) => boolean, provider: string): UserKey | undefined {
  const mine = rows.filter((r) => r.user === user);
  const hosts = mine.map((r) => r.host);
  const [first] = mine;
  if (!first) throw new KeyrotError('db-login-missing', { provider, reason: `user '${user}' does not exist (for any host)` });
  if (mine.some((r) => r.auth !== first.auth || r.locked !== first.locked || r.plugin !== first.plugin)) {
    throw new KeyrotError('db-login-variants', { provider, user, hosts: hosts.map((h) => `'${user}'@'${h}'`).join(', ') });
  }
  if (removed(first) || (!first.auth && first.locked)) return undefined;
  const changed = Math.max(...mine.map((r) => r.changed ?? 0));
  return { id: keyIdOf(user, digest(first.auth ?? '')), login: user, hosts, status: first.locked ? 'inactive' : 'active', createdAt: new Date(changed * 1000) };
}
