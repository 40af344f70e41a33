// What a "key" is for a database login. A login has one password at a time (Redis: several), so the
// login's name alone repeats across rotations; a key is one password of one login, named
// `<login>@<generation>`: PostgreSQL, the time keyrot set it (kept in the role's COMMENT); MariaDB,
// the server's password_last_changed; Redis, the start of the password's SHA-256 (what ACL GETUSER
// shows). The part before the '@' is the user name consumers log in with ({{username}} in a target's
// template). A login holding no key (its password removed by keyrot, or never set) is the one the
// next rotation sets a password on.
import { KeyrotError } from '../../../errors.js';
import type { Credential, KeyInfo } from '../../types.js';

export const keyIdOf = (login: string, generation: string): string => `${login}@${generation}`;

/** The login and generation a key id names; undefined when it is not a key id of these logins. */
export function parseKeyId(keyId: string, logins: readonly string[]): { login: string; generation: string } | undefined {
  const at = keyId.lastIndexOf('@');
  if (at <= 0) return undefined;
  const login = keyId.slice(0, at);
  return logins.includes(login) ? { login, generation: keyId.slice(at + 1) } : undefined;
}

/**
 * Alternating users: the login the next key goes to, the first of the plan's logins that holds no
 * key. When both hold one, the issuer is full: the engine refuses before asking (maxKeys 2), and
 * create refuses too (the contract), naming the keys.
 */
export function freeLogin(logins: readonly string[], keys: Array<KeyInfo & { login: string }>, issuer: string, deleteCall: string): string {
  const free = logins.find((login) => !keys.some((k) => k.login === login));
  if (free) return free;
  const spare = keys.find((k) => k.status === 'inactive') ?? keys[0];
  throw new KeyrotError('key-limit', {
    issuer,
    count: keys.length,
    keys: keys.map((k) => `${k.id} (${k.status})`).join(', '),
    cleanup: `${deleteCall} for ${spare?.id ?? 'the key no consumer uses'}`,
  });
}

/**
 * Verify for alternating users: log in as the key's login with its password (`loginAs` answers whom
 * the server says we are, and throws verify-failed when it refuses the password).
 */
export async function verifyLogin(credential: Credential, logins: readonly string[], loginAs: (keyId: string, login: string, password: string) => Promise<string>): Promise<void> {
  const parsed = parseKeyId(credential.keyId, logins);
  if (!parsed) throw new KeyrotError('verify-failed', { keyId: credential.keyId, reason: `not a key of ${logins.join(' or ')}` });
  const me = await loginAs(credential.keyId, parsed.login, credential.secret);
  if (me !== parsed.login) throw new KeyrotError('verify-failed', { keyId: credential.keyId, reason: `logged in as ${me}, not ${parsed.login}` });
}
