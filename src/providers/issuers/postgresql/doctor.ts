// keyrot doctor for the postgresql issuer, read-only: whom keyrot logs in as and whether it may alter
// the two roles (CREATEROLE), whether the roles exist and share their grants (consumers switch from
// one to the other), whether it may end a revoked role's sessions (pg_signal_backend), who is connected
// as each now (the session gate's question), least privilege, and whether the connection is encrypted.
import { KeyrotError } from '../../../errors.js';
import type { Check } from '../../types.js';
import type { PgApi } from './client.js';
import type { PostgresqlIssuerConfig } from './schema.js';
import { count } from '../../../shared/plural.js';
import { grantSignal } from './sql.js';

interface Me { user: string; version: string; rolsuper: boolean; rolcreaterole: boolean; stats: boolean; signal: boolean; ssl: boolean | null }
interface Role { rolname: string; rolsuper: boolean; rolcreaterole: boolean; rolcanlogin: boolean; groups: string[] | null; grants: number; sessions: number; clients: string | null }

const ME = `SELECT current_user AS user, current_setting('server_version') AS version, r.rolsuper, r.rolcreaterole,
  pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS stats, pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS signal, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl
  FROM pg_roles r WHERE r.rolname = current_user`;

const ROLES = `SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcanlogin,
  (SELECT array_agg(g.rolname::text ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid) AS groups,
  (SELECT count(*)::int FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a WHERE a.grantee = r.oid) AS grants,
  (SELECT count(*)::int FROM pg_stat_activity s WHERE s.usename = r.rolname) AS sessions,
  (SELECT string_agg(DISTINCT host(s.client_addr), ', ') FROM pg_stat_activity s WHERE s.usename = r.rolname) AS clients
  FROM pg_roles r WHERE r.rolname = ANY($1::text[]) ORDER BY r.rolname`;

const LOOPBACK = /^(127\.|::1$|localhost$)/;

export async function postgresqlDoctor(config: PostgresqlIssuerConfig, db: PgApi): Promise<Check[]> {
  let me: Me;
  let found: Role[];
  try {
    [me, found] = await db.admin('doctor', async (query) => [(await query<Me & Record<string, unknown>>(ME))[0]!, await query<Role & Record<string, unknown>>(ROLES, [[...config.roles]])]);
  } catch (e) {
    return [{ check: 'credentials', status: 'fail', detail: (e as Error).message, ...(e instanceof KeyrotError ? { error: e } : {}) }];
  }
  const checks: Check[] = [{ check: 'credentials', status: 'pass', detail: `logged in to ${db.where}/${config.database} as ${me.user} (PostgreSQL ${me.version})` }];

  const roles = config.roles.map((name) => found.find((r) => r.rolname === name));
  const missing = config.roles.filter((_, i) => !roles[i]);
  const superRole = found.filter((r) => r.rolsuper).map((r) => r.rolname);
  if (!me.rolsuper && !me.rolcreaterole) {
    checks.push({ check: 'permissions', status: 'fail', detail: `${me.user} has neither CREATEROLE nor SUPERUSER: it may not ALTER ROLE ${config.roles.join(' or ')}`, hint: `ALTER ROLE ${me.user} CREATEROLE (as a superuser), then keyrot doctor again` });
  } else if (superRole.length && !me.rolsuper) {
    checks.push({ check: 'permissions', status: 'fail', detail: `${superRole.join(', ')} is a superuser: only a superuser may change its password`, hint: 'rotate logins without SUPERUSER (they need only their grants)' });
  } else {
    const stats = me.stats || me.rolsuper ? '' : '; without pg_read_all_stats the sessions\' client addresses are hidden (their count is not)';
    checks.push({ check: 'permissions', status: 'pass', detail: `${me.user} may ALTER ROLE and COMMENT ON ROLE ${config.roles.join(' and ')} (${me.rolsuper ? 'SUPERUSER' : 'CREATEROLE'})${stats}` });
  }

  checks.push(me.rolsuper || me.signal
    ? { check: 'revoke sessions', status: 'pass', detail: `${me.user} may end the sessions of a revoked role (${me.rolsuper ? 'SUPERUSER' : 'pg_signal_backend'})` }
    : { check: 'revoke sessions', status: 'warn', detail: `${me.user} lacks pg_signal_backend: a revoke would shut the leaked role out (NOLOGIN) but could not end the sessions it already has open`, hint: `as a superuser run \`${grantSignal(me.user)}\`, then keyrot doctor again` });

  if (missing.length) {
    checks.push({ check: 'logins', status: 'fail', detail: `role ${missing.join(' and ')} does not exist`, hint: `CREATE ROLE ${missing[0]} NOLOGIN IN ROLE <the group role holding the grants>, then keyrot doctor again` });
  } else {
    const [a, b] = roles as [Role, Role];
    const groups = (r: Role) => (r.groups ?? []).join(', ') || 'no group';
    const same = groups(a) === groups(b) && a.grants === b.grants;
    checks.push(same
      ? { check: 'logins', status: 'pass', detail: `${a.rolname} and ${b.rolname} are members of the same roles (${groups(a)}), with ${count(a.grants, 'direct grant')} each in ${config.database}` }
      : { check: 'logins', status: 'warn', detail: `${a.rolname} (member of ${groups(a)}, ${count(a.grants, 'direct grant')}) and ${b.rolname} (member of ${groups(b)}, ${b.grants}) differ: consumers switching logins would gain or lose access`, hint: 'grant both logins the same group role, and grant privileges to that group only' });
    checks.push({ check: 'sessions', status: 'pass', detail: roles.map((r) => `${r!.rolname}: ${count(r!.sessions, 'session')} now${r!.clients ? ` from ${r!.clients}` : ''}${r!.rolcanlogin ? '' : ' (NOLOGIN)'}`).join('; ') });
  }

  const broad = [...(me.rolsuper ? [`keyrot's login ${me.user} is a superuser (it needs only CREATEROLE, and pg_signal_backend for revoke)`] : []), ...found.filter((r) => r.rolsuper || r.rolcreaterole).map((r) => `rotated role ${r.rolname} has ${r.rolsuper ? 'SUPERUSER' : 'CREATEROLE'}`)];
  checks.push(broad.length
    ? { check: 'least privilege', status: 'warn', detail: broad.join('; '), hint: 'give keyrot\'s login CREATEROLE and pg_signal_backend only, and the rotated logins only their grants' }
    : { check: 'least privilege', status: 'pass', detail: `${me.user} has CREATEROLE and no SUPERUSER; the rotated roles hold neither` });

  if (!me.ssl && !LOOPBACK.test(config.host)) {
    checks.push({ check: 'encryption', status: 'warn', detail: `the connection to ${db.where} is not encrypted: passwords travel as SCRAM verifiers, logins in clear`, hint: 'add `tls: { mode: verify-full }` to the source' });
  }
  return checks;
}
