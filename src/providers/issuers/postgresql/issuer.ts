// The postgresql issuer: alternating login roles. A key is one password of one of the plan's two
// roles (roles.ts). Create sets a fresh password on the role holding no key (nobody uses it), so a
// crash before publish locks no consumer out: resume finds that key an orphan, removes its password
// and sets a fresh one. Deactivate is NOLOGIN (open sessions go on: the session gate waits for them),
// reactivate LOGIN, delete removes the password (NOLOGIN, PASSWORD NULL) until the role is next in turn.
// A revoke also ends the leaked role's open sessions (openSessions: pg_terminate_backend).
// Loaded only when a plan uses it (it pulls in `pg`).
import { KeyrotError } from '../../../errors.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import { redact, rememberSecret } from '../../../secrets/redact.js';
import type { IssuerOp, KeyIssuer, LastUse, ProviderContext } from '../../types.js';
import { freeLogin, keyIdOf, parseKeyId, verifyLogin } from '../database/login-key.js';
import { newPassword } from '../database/password.js';
import { pgApi, type Query } from './client.js';
import { postgresqlDoctor } from './doctor.js';
import { keyOfRole, removedComment, setComment, type RoleKey, type RoleRow } from './roles.js';
import type { PostgresqlIssuerConfig } from './schema.js';
import { scramVerifier } from './scram.js';
import * as sql from './sql.js';

export function createPostgresqlIssuer(config: PostgresqlIssuerConfig, ctx: ProviderContext): KeyIssuer {
  const { roles } = config;
  const label = `postgresql ${roles.join('/')} on ${config.host}:${config.port}`;
  const db = pgApi(config, ctx, label);
  const explain = (op: IssuerOp) => sql.explainSql(op, roles, db.where, config.verifyDatabase ?? config.database);

  /** Both roles as they are now; a role that does not exist is refused (keyrot never creates logins). */
  async function readRoles(query: Query): Promise<RoleRow[]> {
    const rows = await query<RoleRow>(sql.ROLES, [[...roles]]);
    const missing = roles.filter((r) => !rows.some((row) => row.rolname === r));
    if (missing.length) throw new KeyrotError('db-login-missing', { provider: label, reason: `role ${missing.map((r) => `"${r}"`).join(' and ')} does not exist` });
    return roles.map((r) => rows.find((row) => row.rolname === r)!);
  }
  const keysOf = (rows: RoleRow[]): RoleKey[] => rows.map(keyOfRole).filter((k): k is RoleKey => k !== undefined);

  /** The role a key id names, if that key is still the role's current one (else undefined, with what the role holds now). */
  async function current(query: Query, keyId: string): Promise<{ role: string; key?: RoleKey; found: string }> {
    const parsed = parseKeyId(keyId, roles);
    if (!parsed) throw new KeyrotError('db-key-not-found', { provider: label, keyId, login: roles.join(' or '), found: 'no such key id' });
    const row = (await readRoles(query)).find((r) => r.rolname === parsed.login)!;
    const key = keyOfRole(row);
    return { role: parsed.login, ...(key?.id === keyId ? { key } : {}), found: key?.id ?? 'no key' };
  }

  /**
   * LOGIN or NOLOGIN on the role behind `keyId`, refusing if the role holds another key now (never touch
   * a newer password). The comment is written again, so a password set by hand stays a key once NOLOGIN.
   */
  const setLogin = (keyId: string, login: boolean) =>
    db.admin(`ALTER ROLE … ${login ? 'LOGIN' : 'NOLOGIN'}`, async (query) => {
      const { role, key, found } = await current(query, keyId);
      if (!key) throw new KeyrotError('db-key-not-found', { provider: label, keyId, login: role, found });
      await query(sql.setLogin(role, login));
      await query(sql.comment(role, setComment(parseKeyId(keyId, roles)!.generation, key.fingerprint)));
    }, { transaction: true });

  return {
    label,
    maxKeys: 2,

    list: () => db.admin('SELECT pg_roles', async (query) => keysOf(await readRoles(query)).map(({ login: _login, ...key }) => key)),

    create: () =>
      db.admin('ALTER ROLE … PASSWORD', async (query) => {
        const role = freeLogin(roles, keysOf(await readRoles(query)), label, explain('delete'));
        const secret = newPassword();
        const verifier = scramVerifier(secret);
        rememberSecret(secret);
        rememberSecret(verifier);
        const [{ now }] = (await query<{ now: string }>(sql.NOW)) as [{ now: string }];
        await query(sql.setPassword(role, verifier));
        await query(sql.comment(role, setComment(now, fingerprint(secret))));
        return { keyId: keyIdOf(role, now), secret, createdAt: new Date(now) };
      }, { transaction: true }),

    verify: (credential) => verifyLogin(credential, roles, (keyId, login, password) => db.loginAs(keyId, login, password)),

    lastUsed: (keyId) =>
      db.admin('SELECT pg_stat_activity', async (query): Promise<LastUse> => {
        const role = parseKeyId(keyId, roles)?.login;
        if (!role) return { reported: false };
        const [row] = await query<{ sessions: number; clients: string | null }>(sql.SESSIONS, [role]);
        return { reported: 'sessions', sessions: row?.sessions ?? 0, ...(row?.clients ? { clients: row.clients } : {}) };
      }),

    deactivate: (keyId) => setLogin(keyId, false),
    reactivate: (keyId) => setLogin(keyId, true),

    delete: (keyId) =>
      db.admin('ALTER ROLE … PASSWORD NULL', async (query): Promise<void | 'gone'> => {
        const { role, key } = await current(query, keyId);
        if (!key) return 'gone'; // its password was removed or replaced already
        const [{ now }] = (await query<{ now: string }>(sql.NOW)) as [{ now: string }];
        await query(sql.removePassword(role));
        await query(sql.comment(role, removedComment(now)));
      }, { transaction: true }),

    explain,
    doctor: () => postgresqlDoctor(config, db),

    openSessions: {
      explain: sql.terminateExplained,
      end: (keyId) =>
        db.admin('pg_terminate_backend', async (query) => {
          const { role, key } = await current(query, keyId);
          if (!key) return { ended: 0 }; // the role holds another key now: its sessions are not the leaked password's
          try {
            const [row] = await query<{ ended: number }>(sql.TERMINATE, [role]);
            return { ended: row?.ended ?? 0 };
          } catch (e) {
            if ((e as { code?: string }).code !== '42501') throw e;
            throw new KeyrotError('db-sessions-not-ended', { provider: label, keyId, login: role, user: config.admin.user, reason: redact((e as Error).message), grant: sql.grantSignal(config.admin.user) });
          }
        }),
    },
  };
}
