// The mysql issuer (MySQL 8, MariaDB 10.11): alternating users, as the postgresql issuer does with
// roles. Create sets a fresh password on the user holding no key (every host of it), so a crash
// before publish locks no consumer out; deactivate is ACCOUNT LOCK (open sessions go on: the session
// gate waits for them), reactivate ACCOUNT UNLOCK, delete leaves it locked with no password that can
// match until it is next in turn. A revoke also ends the leaked user's open sessions (openSessions: KILL
// CONNECTION). Loaded only when a plan uses it (it pulls in `mysql2`).
import { KeyrotError } from '../../../errors.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import { rememberSecret } from '../../../secrets/redact.js';
import type { LedgerEntry } from '../../../state/store.js';
import { ledgerOf } from '../../ledger.js';
import type { IssuerOp, KeyIssuer, LastUse, ProviderContext } from '../../types.js';
import { freeLogin, parseKeyId, verifyLogin } from '../database/login-key.js';
import { newPassword } from '../database/password.js';
import { keyOfUser, type AccountRow, type UserKey } from './accounts.js';
import { mysqlApi, type Query } from './client.js';
import { mysqlDoctor } from './doctor.js';
import { killSessions } from './sessions.js';
import type { MysqlIssuerConfig } from './schema.js';
import * as sql from './sql.js';

export function createMysqlIssuer(config: MysqlIssuerConfig, ctx: ProviderContext): KeyIssuer {
  const { users } = config;
  const label = `mysql ${users.join('/')} on ${config.host}:${config.port}`;
  const db = mysqlApi(config, ctx, label);
  const explain = (op: IssuerOp) => sql.explainSql(op, users, db.where);

  /** Each user as its key (or none), with its hosts. */
  async function read(query: Query, flavor: sql.Flavor): Promise<Array<{ user: string; key?: UserKey; hosts: string[] }>> {
    const rows = (await query<AccountRow & { locked: number | boolean }>(sql.ACCOUNTS[flavor], [...users])).map((r) => ({ ...r, locked: Boolean(Number(r.locked)), changed: r.changed === null ? null : Number(r.changed) }));
    return users.map((user) => {
      const key = keyOfUser(user, rows, sql.isRemoved(flavor), label);
      return { user, hosts: rows.filter((r) => r.user === user).map((r) => r.host), ...(key ? { key } : {}) };
    });
  }
  const keysOf = (found: Awaited<ReturnType<typeof read>>) => found.flatMap((f) => (f.key ? [f.key] : []));

  // The server cannot say which password is which, only its hash: keyrot's ledger notes each key's
  // fingerprint when it sets the password, so a leaked password is found by it (revoke --secret-stdin).
  const ledger = ledgerOf(ctx);
  async function note(keep: (entry: LedgerEntry) => boolean, add?: LedgerEntry): Promise<void> {
    const { keys, version } = await ledger.load();
    await ledger.save([...keys.filter(keep), ...(add ? [add] : [])], version);
  }

  /** The user a key id names, with its hosts, if that key is still its current one. */
  async function current(query: Query, flavor: sql.Flavor, keyId: string) {
    const parsed = parseKeyId(keyId, users);
    if (!parsed) throw new KeyrotError('db-key-not-found', { provider: label, keyId, login: users.join(' or '), found: 'no such key id' });
    const found = (await read(query, flavor)).find((f) => f.user === parsed.login)!;
    return { ...found, matches: found.key?.id === keyId };
  }

  const setLock = (keyId: string, locked: boolean) =>
    db.admin(`ALTER USER … ACCOUNT ${locked ? 'LOCK' : 'UNLOCK'}`, async (query, flavor) => {
      const { user, hosts, key, matches } = await current(query, flavor, keyId);
      if (!matches) throw new KeyrotError('db-key-not-found', { provider: label, keyId, login: user, found: key?.id ?? 'no key' });
      await query(sql.lock(user, hosts, locked));
    });

  return {
    label,
    maxKeys: 2,

    list: () =>
      db.admin('SELECT mysql accounts', async (query, flavor) => {
        const noted = (await ledger.load()).keys;
        return keysOf(await read(query, flavor)).map(({ login: _l, hosts: _h, ...key }) => {
          const fingerprint = noted.find((e) => e.id === key.id)?.fingerprint;
          return fingerprint ? { ...key, fingerprint } : key;
        });
      }),

    create: () =>
      db.admin('ALTER USER … IDENTIFIED', async (query, flavor) => {
        const found = await read(query, flavor);
        const user = freeLogin(users, keysOf(found), label, explain('delete'));
        const secret = newPassword();
        rememberSecret(secret);
        rememberSecret(sql.nativeHash(secret));
        await query(sql.setPassword(flavor, user, found.find((f) => f.user === user)!.hosts, secret));
        const key = (await read(query, flavor)).find((f) => f.user === user)!.key!;
        const others = new Set(keysOf(found).map((k) => k.id));
        await note((e) => others.has(e.id), { id: key.id, status: 'active', createdAt: key.createdAt.toISOString(), fingerprint: fingerprint(secret) });
        return { keyId: key.id, secret, createdAt: key.createdAt };
      }),

    verify: (credential) => verifyLogin(credential, users, (keyId, login, password) => db.loginAs(keyId, login, password)),

    lastUsed: (keyId) =>
      db.admin('SELECT information_schema.PROCESSLIST', async (query): Promise<LastUse> => {
        const user = parseKeyId(keyId, users)?.login;
        if (!user) return { reported: false };
        const [row] = await query<{ sessions: number; clients: string | null; may_see: number }>(sql.SESSIONS, [user]);
        // Without PROCESS a login sees only its own sessions: "none" would be a guess, and a gate never passes on one.
        if (!Number(row?.may_see)) throw new KeyrotError('db-denied', { provider: label, user: config.admin.user, operation: 'see other users\' sessions', reason: 'it lacks the PROCESS privilege' });
        return { reported: 'sessions', sessions: Number(row!.sessions), ...(row!.clients ? { clients: row!.clients } : {}) };
      }),

    deactivate: (keyId) => setLock(keyId, true),
    reactivate: (keyId) => setLock(keyId, false),

    delete: (keyId) =>
      db.admin('ALTER USER … IDENTIFIED', async (query, flavor): Promise<void | 'gone'> => {
        const { user, hosts, matches } = await current(query, flavor, keyId);
        if (!matches) return 'gone';
        await query(sql.removePassword(flavor, user, hosts));
        await note((e) => e.id !== keyId);
      }),

    explain,
    doctor: () => mysqlDoctor(config, db),

    // A revoke ends the leaked user's sessions; none when the user holds another key now.
    openSessions: killSessions(db, label, config.admin.user, async (query, flavor, keyId) => {
      const { user, matches } = await current(query, flavor, keyId);
      return matches ? user : undefined;
    }),
  };
}
