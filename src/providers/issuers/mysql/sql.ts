// The SQL the mysql issuer runs, for MariaDB and for MySQL 8 where they differ, in one place: what
// `keyrot plan` shows is what runs. MariaDB takes the new password as its native hash (IDENTIFIED BY
// PASSWORD '*…'), so the password itself never reaches the server or its logs; MySQL 8's default
// plugin (caching_sha2_password) salts its hash on the server, so it takes the password, which MySQL
// rewrites out of its logs. Both are masked here.
import { createHash } from 'node:crypto';
import type { IssuerOp } from '../../types.js';
import type { AccountRow } from './accounts.js';

export type Flavor = 'mariadb' | 'mysql';

export const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const account = (user: string, host: string) => `${literal(user)}@${literal(host)}`;

/** MariaDB's mysql_native_password hash: '*' and the upper-case hex of SHA1(SHA1(password)). */
export const nativeHash = (password: string) =>
  `*${createHash('sha1').update(createHash('sha1').update(password).digest()).digest('hex').toUpperCase()}`;

/** An authentication string no password matches: MariaDB's own (its root uses it), MySQL's own (mysql.sys uses it). */
const NO_PASSWORD = {
  mariadb: { clause: "IDENTIFIED VIA mysql_native_password USING 'invalid'", auth: 'invalid' },
  mysql: { clause: "IDENTIFIED WITH caching_sha2_password AS '$A$005$THISISACOMBINATIONOFINVALIDSALTANDPASSWORDTHATMUSTNEVERBRBEUSED'", auth: '$A$005$THISISACOMBINATIONOFINVALIDSALTANDPASSWORDTHATMUSTNEVERBRBEUSED' },
} as const;

export const isRemoved = (flavor: Flavor) => (row: AccountRow) => row.auth === NO_PASSWORD[flavor].auth;

export const VERSION = 'SELECT VERSION() AS version';

export const ACCOUNTS: Record<Flavor, string> = {
  mariadb: `SELECT User AS user, Host AS host, JSON_VALUE(Priv, '$.plugin') AS plugin, JSON_VALUE(Priv, '$.authentication_string') AS auth,
    COALESCE(JSON_VALUE(Priv, '$.account_locked'), '0') IN ('1', 'true') AS locked, CAST(JSON_VALUE(Priv, '$.password_last_changed') AS UNSIGNED) AS changed
    FROM mysql.global_priv WHERE User IN (?, ?) ORDER BY User, Host`,
  mysql: `SELECT User AS user, Host AS host, plugin, authentication_string AS auth, account_locked = 'Y' AS locked,
    UNIX_TIMESTAMP(password_last_changed) AS changed FROM mysql.user WHERE User IN (?, ?) ORDER BY User, Host`,
};

/** Sessions as a user now, and whether keyrot's login may see other users' sessions at all (PROCESS). */
export const SESSIONS = `SELECT COUNT(*) AS sessions, GROUP_CONCAT(DISTINCT SUBSTRING_INDEX(HOST, ':', 1) SEPARATOR ', ') AS clients,
  (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'PROCESS'
     AND GRANTEE = CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'", SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'")) AS may_see
  FROM information_schema.PROCESSLIST WHERE USER = ?`;

/** Revoke only: the sessions of the leaked user (any host part) but keyrot's own (all of them only with PROCESS: see SESSIONS). */
export const SESSION_IDS = `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()`;
export const kill = (id: number) => `KILL CONNECTION ${Math.trunc(id)}`;
export const killExplained = "KILL CONNECTION <id> for each information_schema.PROCESSLIST row of the leaked user, any host (revoke only: ends the sessions the leaked password opened; needs CONNECTION ADMIN, MySQL 8: CONNECTION_ADMIN)";
/** What keyrot's login needs to end other users' sessions, by server. */
export const KILL_PRIVILEGE: Record<Flavor, string> = { mariadb: 'CONNECTION ADMIN', mysql: 'CONNECTION_ADMIN' };
/** `me` as CURRENT_USER() answers it ("keyrot@%"), quoted for a GRANT that works when pasted. */
export const grantTo = (privilege: string, me: string, on = '*.*') => `GRANT ${privilege} ON ${on} TO ${account(me.slice(0, me.lastIndexOf('@')), me.slice(me.lastIndexOf('@') + 1))}`;

const accounts = (user: string, hosts: string[]) => hosts.map((h) => account(user, h));

export function setPassword(flavor: Flavor, user: string, hosts: string[], password: string): string {
  const identified = flavor === 'mariadb' ? `IDENTIFIED BY PASSWORD ${literal(nativeHash(password))}` : `IDENTIFIED BY ${literal(password)}`;
  return `ALTER USER ${accounts(user, hosts).map((a) => `${a} ${identified}`).join(', ')} ACCOUNT UNLOCK`;
}
export const lock = (user: string, hosts: string[], locked: boolean) => `ALTER USER ${accounts(user, hosts).join(', ')} ACCOUNT ${locked ? 'LOCK' : 'UNLOCK'}`;
export const removePassword = (flavor: Flavor, user: string, hosts: string[]) =>
  `ALTER USER ${accounts(user, hosts).map((a) => `${a} ${NO_PASSWORD[flavor].clause}`).join(', ')} ACCOUNT LOCK`;

/** What each operation runs, for `keyrot plan` (passwords and hashes masked). */
export function explainSql(op: IssuerOp, users: readonly [string, string], where: string): string {
  switch (op) {
    case 'list': return `SELECT the accounts of ${users.map((u) => `'${u}'`).join(' and ')} (every host) from mysql.global_priv (MariaDB) or mysql.user (MySQL 8)`;
    case 'create': return `ALTER USER '<the user of ${users.join('/')} holding no key>'@'<each of its hosts>' IDENTIFIED BY PASSWORD '<hash, masked>' (MySQL 8: BY '<password, masked>') ACCOUNT UNLOCK`;
    case 'verify': return `log in to ${where} as the new user with the new password; SELECT CURRENT_USER()`;
    case 'lastUsed': return 'SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = <user> (sessions connected now)';
    case 'deactivate': return "ALTER USER '<old user>'@'<each host>' ACCOUNT LOCK (open sessions go on: a rotation waits for them to disconnect, a revoke ends them)";
    case 'reactivate': return "ALTER USER '<old user>'@'<each host>' ACCOUNT UNLOCK";
    case 'delete': return "ALTER USER '<old user>'@'<each host>' IDENTIFIED VIA mysql_native_password USING 'invalid' (MySQL 8: an invalid caching_sha2 hash) ACCOUNT LOCK";
  }
}
