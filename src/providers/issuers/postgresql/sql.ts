// The SQL the postgresql issuer runs, in one place: what `keyrot plan` shows is what runs. A password
// never appears in it: ALTER ROLE takes a SCRAM verifier (scram.ts), shown masked.
import type { IssuerOp } from '../../types.js';

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export const ROLES = `SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreaterole, shobj_description(r.oid, 'pg_authid') AS comment
  FROM pg_roles r WHERE r.rolname = ANY($1::text[])`;

/** The server's clock, to the millisecond: a key's generation is the moment its password was set there. */
export const NOW = `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS now`;

export const SESSIONS = `SELECT count(*)::int AS sessions,
  string_agg(DISTINCT coalesce(host(client_addr), CASE WHEN client_port = -1 THEN 'local socket' END), ', ') AS clients
  FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()`;

/** Revoke only: end every session of the leaked role but keyrot's own (a replication connection too);
 *  answers how many were ended. A parallel worker ends with its session and is not counted, where
 *  keyrot's login may see backend types (pg_read_all_stats: without it they read NULL). */
export const TERMINATE = `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS ended
  FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid() AND backend_type IS DISTINCT FROM 'parallel worker'`;
export const terminateExplained = 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = <leaked role> (revoke only: ends the sessions the leaked password opened; needs pg_signal_backend)';
/** What keyrot's login needs to end another role's sessions (it is no member of the rotated roles). */
export const grantSignal = (admin: string) => `GRANT pg_signal_backend TO ${ident(admin)}`;

export const setPassword = (role: string, verifier: string) => `ALTER ROLE ${ident(role)} WITH LOGIN PASSWORD ${literal(verifier)}`;
export const removePassword = (role: string) => `ALTER ROLE ${ident(role)} WITH NOLOGIN PASSWORD NULL`;
export const setLogin = (role: string, login: boolean) => `ALTER ROLE ${ident(role)} WITH ${login ? 'LOGIN' : 'NOLOGIN'}`;
export const comment = (role: string, text: string) => `COMMENT ON ROLE ${ident(role)} IS ${literal(text)}`;

/** What each operation runs, for `keyrot plan` (the verifier masked). */
export function explainSql(op: IssuerOp, roles: readonly [string, string], where: string, verifyDatabase: string): string {
  const pair = roles.map(literal).join(', ');
  switch (op) {
    case 'list': return `SELECT rolname, rolcanlogin, shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname IN (${pair})`;
    case 'create': return `BEGIN; ALTER ROLE <the role of ${roles.join('/')} holding no key> WITH LOGIN PASSWORD '<SCRAM-SHA-256 verifier, masked>'; COMMENT ON ROLE … IS 'keyrot: password set <time> (<fingerprint>)'; COMMIT`;
    case 'verify': return `log in to ${where}/${verifyDatabase} as the new role with the new password; SELECT current_user`;
    case 'lastUsed': return 'SELECT count(*) FROM pg_stat_activity WHERE usename = <role> (sessions connected now)';
    case 'deactivate': return 'ALTER ROLE <old role> WITH NOLOGIN (open sessions go on: a rotation waits for them to disconnect, a revoke ends them)';
    case 'reactivate': return 'ALTER ROLE <old role> WITH LOGIN';
    case 'delete': return `BEGIN; ALTER ROLE <old role> WITH NOLOGIN PASSWORD NULL; COMMENT ON ROLE … IS 'keyrot: password removed <time>'; COMMIT`;
  }
}
