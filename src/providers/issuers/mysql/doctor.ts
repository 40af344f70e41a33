// keyrot doctor for the mysql issuer, read-only: whom keyrot logs in as and whether its grants allow
// what a rotation runs (CREATE USER, PROCESS, reading the account table) and what a revoke runs (CONNECTION
// ADMIN, to end the leaked user's sessions), whether both users exist on the same hosts with the same
// grants, who is connected as each now, least privilege, encryption.
import { KeyrotError } from '../../../errors.js';
import type { Check } from '../../types.js';
import type { MysqlApi, Query } from './client.js';
import type { MysqlIssuerConfig } from './schema.js';
import { ACCOUNTS, account, grantTo, KILL_PRIVILEGE, type Flavor } from './sql.js';
import { count } from '../../../shared/plural.js';

const LOOPBACK = /^(127\.|::1$|localhost$)/;

interface Found {
  me: string;
  version: string;
  grants: string[];
  hosts: Record<string, string[]>;
  userGrants: Record<string, string[] | undefined>;
  sessions: Record<string, { n: number; from: string | null }>;
  ssl: boolean;
  flavor: Flavor;
}

async function look(config: MysqlIssuerConfig, query: Query, flavor: Flavor): Promise<Found> {
  const [{ me, version }] = (await query<{ me: string; version: string }>('SELECT CURRENT_USER() AS me, VERSION() AS version')) as [{ me: string; version: string }];
  const grants = (await query<Record<string, string>>('SHOW GRANTS')).map((r) => Object.values(r)[0]!);
  const rows = await query<{ user: string; host: string }>(ACCOUNTS[flavor], [...config.users]).catch(() => []);
  const hosts = Object.fromEntries(config.users.map((u) => [u, rows.filter((r) => r.user === u).map((r) => r.host)]));
  const userGrants: Found['userGrants'] = {};
  for (const u of config.users) {
    const host = hosts[u]![0];
    // Each user's grants with its own name taken out, to compare the two (SHOW GRANTS FOR may be denied: then not compared).
    userGrants[u] = host === undefined ? undefined : await query<Record<string, string>>(`SHOW GRANTS FOR ${account(u, host)}`)
      .then((r) => r.map((g) => Object.values(g)[0]!.replace(/ IDENTIFIED BY .*$/, '').replaceAll(`'${u}'`, "'<user>'")).filter((g) => !/^GRANT USAGE ON \*\.\*/.test(g)).sort(), () => undefined);
  }
  const sessions: Found['sessions'] = {};
  for (const u of config.users) {
    const [row] = await query<{ n: number; from: string | null }>("SELECT COUNT(*) AS n, GROUP_CONCAT(DISTINCT SUBSTRING_INDEX(HOST, ':', 1) SEPARATOR ', ') AS `from` FROM information_schema.PROCESSLIST WHERE USER = ?", [u]);
    sessions[u] = { n: Number(row?.n ?? 0), from: row?.from ?? null };
  }
  const [ssl] = await query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
  return { me, version, grants, hosts, userGrants, sessions, ssl: Boolean(ssl?.Value), flavor };
}

export async function mysqlDoctor(config: MysqlIssuerConfig, db: MysqlApi): Promise<Check[]> {
  let f: Found;
  try {
    f = await db.admin('doctor', (query, flavor) => look(config, query, flavor));
  } catch (e) {
    return [{ check: 'credentials', status: 'fail', detail: (e as Error).message, ...(e instanceof KeyrotError ? { error: e } : {}) }];
  }
  const checks: Check[] = [{ check: 'credentials', status: 'pass', detail: `logged in to ${db.where} as ${f.me} (${f.version})` }];
  const all = f.grants.join('\n');
  const has = (privilege: string) => new RegExp(`GRANT (.*, )?(${privilege}|ALL PRIVILEGES)(,.*)? ON \\*\\.\\*`).test(all);
  const readsAccounts = has('SELECT') || /GRANT .*SELECT.* ON `mysql`\.(\*|`global_priv`|`user`)/.test(all);
  // [privilege, on what]: each pastes as a GRANT with keyrot's account quoted.
  type Grant = [privilege: string, on: string];
  const missing: Grant[] = [
    ...(has('CREATE USER') ? [] : [['CREATE USER', '*.*'] as Grant]),
    ...(has('PROCESS') ? [] : [['PROCESS', '*.*'] as Grant]),
    ...(readsAccounts ? [] : [['SELECT', f.flavor === 'mariadb' ? 'mysql.global_priv' : 'mysql.user'] as Grant]),
  ];
  checks.push(missing.length
    ? { check: 'permissions', status: 'fail', detail: `${f.me} lacks ${missing.map(([p, on]) => `${p} ON ${on}`).join(', ')}`, hint: `as an administrator run ${missing.map(([p, on]) => `\`${grantTo(p, f.me, on)}\``).join(' and ')}, then keyrot doctor again` }
    : { check: 'permissions', status: 'pass', detail: `${f.me} may ALTER USER (CREATE USER), see every session (PROCESS) and read the account table` });

  const kill = KILL_PRIVILEGE[f.flavor];
  checks.push(has('CONNECTION ADMIN|CONNECTION_ADMIN|SUPER')
    ? { check: 'revoke sessions', status: 'pass', detail: `${f.me} may end the sessions of a revoked user (${kill})` }
    : { check: 'revoke sessions', status: 'warn', detail: `${f.me} lacks ${kill}: a revoke would lock the leaked user out (ACCOUNT LOCK) but could not end the sessions it already has open`, hint: `as an administrator run \`${grantTo(kill, f.me)}\`, then keyrot doctor again` });

  const absent = config.users.filter((u) => f.hosts[u]!.length === 0);
  if (absent.length) {
    checks.push({ check: 'logins', status: 'fail', detail: `user ${absent.join(' and ')} does not exist (for any host)`, hint: `CREATE USER '${absent[0]}'@'<host>' ACCOUNT LOCK with the same grants as the other, then keyrot doctor again` });
  } else {
    const [a, b] = config.users;
    const sameHosts = f.hosts[a]!.join(',') === f.hosts[b]!.join(',');
    const ga = f.userGrants[a];
    const gb = f.userGrants[b];
    const sameGrants = ga && gb ? ga.join('\n') === gb.join('\n') : undefined;
    const hostsText = config.users.map((u) => `${u}@{${f.hosts[u]!.join(', ')}}`).join(' and ');
    checks.push(sameHosts && sameGrants !== false
      ? { check: 'logins', status: 'pass', detail: `${hostsText}${sameGrants ? ', with the same grants' : ' (grants not compared: SHOW GRANTS FOR was refused)'}` }
      : { check: 'logins', status: 'warn', detail: `${hostsText} differ in ${sameHosts ? 'grants' : 'hosts'}: consumers switching users would gain or lose access`, hint: 'grant both users the same role (GRANT role TO both), on the same hosts' });
    checks.push({ check: 'sessions', status: 'pass', detail: config.users.map((u) => `${u}: ${count(f.sessions[u]!.n, 'session')} now${f.sessions[u]!.from ? ` from ${f.sessions[u]!.from}` : ''}`).join('; ') });
  }
  const broad = /ALL PRIVILEGES ON \*\.\*|SUPER/.test(all);
  checks.push(broad
    ? { check: 'least privilege', status: 'warn', detail: `${f.me} holds far more than keyrot needs (${f.grants[0]})`, hint: `grant keyrot's login only CREATE USER, PROCESS, ${kill} and SELECT on the account table` }
    : { check: 'least privilege', status: 'pass', detail: `${f.me} holds no ALL PRIVILEGES or SUPER` });
  if (!f.ssl && !LOOPBACK.test(config.host)) {
    checks.push({ check: 'encryption', status: 'warn', detail: `the connection to ${db.where} is not encrypted`, hint: 'add `tls: { mode: verify-full }` to the source' });
  }
  return checks;
}
