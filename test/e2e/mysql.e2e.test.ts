// The built keyrot rotating MariaDB 10.11 passwords between two users, each defined for two hosts,
// logged in with CREATE USER, PROCESS, CONNECTION ADMIN and SELECT on mysql.global_priv only: the
// shared database scenarios, then host variants that disagree, and what `keyrot plan` and `keyrot doctor` show.
import { expect, it } from 'vitest';
import { ADMIN_ENV } from '../helpers/database-kit.js';
import { databaseScenarios, userOf } from '../helpers/database-scenarios.js';
import type { StoredKey } from '../helpers/inspect.js';
import { startMariaDb, type MariaDb } from '../peers/mariadb.js';

let db: MariaDb;
let fixture: Awaited<ReturnType<MariaDb['alternating']>>;
const source = () => ({ type: 'mysql', host: db.host, port: db.port, admin: { user: fixture.admin.user, passwordEnv: ADMIN_ENV }, users: fixture.users });

const canLogIn = async (user: string, password: string) => {
  const c = await db.connect(user, password, fixture.database).catch(() => undefined);
  await c?.end();
  return c !== undefined;
};

interface Account { user: string; host: string; auth: string; locked: string | null }
const accounts = () => db.sql<Account>(
  "SELECT User AS user, Host AS host, JSON_VALUE(Priv, '$.authentication_string') AS auth, JSON_VALUE(Priv, '$.account_locked') AS locked FROM mysql.global_priv WHERE User IN (?, ?) ORDER BY User, Host",
  fixture.users,
);

const { kit } = databaseScenarios({
  kind: 'mysql',
  async start() {
    db = await startMariaDb();
    return { host: db.host, port: db.port, stop: () => db.stop() };
  },
  async fixture(n) {
    fixture = await db.alternating(`e2e${n}`);
    return { source: source(), adminPassword: fixture.admin.password };
  },
  logins: () => fixture.users,
  canLogIn,
  get consumerDatabase() {
    return fixture.database;
  },
  async hold(user, password) {
    const c = await db.connect(user, password, fixture.database);
    return { alive: () => c.query('SELECT 1').then(() => true, () => false), end: () => c.end().catch(() => c.destroy()) };
  },
  async withoutSessionPrivilege() {
    await db.sql(`REVOKE CONNECTION ADMIN ON *.* FROM '${fixture.admin.user}'@'%'`);
  },
  async asAdministrator(statement) {
    await db.sql(statement);
  },
  disableByHand: (user) => `ALTER USER '${user}'@'%', '${user}'@'127.0.0.1' ACCOUNT LOCK`,
  /** The published user is unlocked with one password on both its hosts; the other locked without one; both keep their grants. */
  async onlyPublishedInUse({ keyId, secret }: StoredKey) {
    const user = userOf(keyId);
    const now = await accounts();
    expect(now.map((a) => [a.user, a.host, a.locked === '1' || a.locked === 'true', a.user !== user && a.auth === 'invalid'])).toEqual(
      [...fixture.users].sort().flatMap((u) => ['%', '127.0.0.1'].map((h) => [u, h, u !== user, u !== user])),
    );
    expect(new Set(now.filter((a) => a.user === user).map((a) => a.auth)).size).toBe(1);
    expect(await canLogIn(user, secret)).toBe(true);
    for (const u of fixture.users) {
      const grants = await db.sql<Record<string, string>>(`SHOW GRANTS FOR '${u}'@'127.0.0.1'`);
      expect(grants.map((g) => Object.values(g)[0])).toContain(`GRANT SELECT, INSERT ON \`${fixture.database}\`.* TO \`${u}\`@\`127.0.0.1\``);
    }
  },
});

it('host variants that disagree are refused, naming them, and nothing is changed', async () => {
  const plan = kit.plan('svc', source());
  expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
  await db.sql(`ALTER USER '${fixture.users[0]}'@'%' ACCOUNT LOCK`); // someone locked one host of the user in use
  const before = await accounts();
  const refused = await kit.cli(['run', '--no-wait', plan]);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain(`'${fixture.users[0]}'@'%', '${fixture.users[0]}'@'127.0.0.1' differ in password, plugin or lock`);
  expect(await accounts()).toEqual(before);
}, 60_000);

it('`keyrot plan` shows the SQL with the password masked; `keyrot doctor` passes least privilege and shows the sessions per user', async () => {
  const plan = kit.plan('svc', source());
  expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
  const { keyId, secret } = kit.published('svc');
  const c = await db.connect(userOf(keyId), secret, fixture.database);

  const dry = await kit.cli(['plan', plan]);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toContain(`IDENTIFIED BY PASSWORD '<hash, masked>'`);
  expect(dry.stdout).toContain("ALTER USER '<old user>'@'<each host>' ACCOUNT LOCK (open sessions go on: a rotation waits for them to disconnect, a revoke ends them)");
  const doctor = await kit.cli(['doctor', plan]);
  await c.end();
  expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
  expect(doctor.stdout).toContain(`${fixture.users[0]}: 1 session now from 127.0.0.1; ${fixture.users[1]}: 0 sessions now`);
  expect(doctor.stdout).toContain(`${fixture.users[0]}@{%, 127.0.0.1} and ${fixture.users[1]}@{%, 127.0.0.1}`);
  expect(doctor.stdout).toContain('holds no ALL PRIVILEGES or SUPER');
  expect(doctor.stdout).toContain(`${fixture.admin.user}@% may end the sessions of a revoked user (CONNECTION ADMIN)`);
  await db.sql(`REVOKE CONNECTION ADMIN ON *.* FROM '${fixture.admin.user}'@'%'`);
  const without = await kit.cli(['doctor', plan]);
  expect(without.code, 'a warning, not a failure: rotations do not need it').toBe(0);
  expect(without.stdout).toContain(`${fixture.admin.user}@% lacks CONNECTION ADMIN: a revoke would lock the leaked user out (ACCOUNT LOCK) but could not end the sessions it already has open`);
  expect(without.stdout).toContain(`GRANT CONNECTION ADMIN ON *.* TO '${fixture.admin.user}'@'%'`);
  expect(kit.leaks()).toEqual([]);
}, 60_000);

it('`keyrot doctor` without PROCESS and the account table fails, and the GRANTs its hint names, pasted as they are, make it pass', async () => {
  const plan = kit.plan('svc', source());
  await db.sql(`REVOKE PROCESS ON *.* FROM '${fixture.admin.user}'@'%'`);
  await db.sql(`REVOKE SELECT ON mysql.global_priv FROM '${fixture.admin.user}'@'%'`);
  const without = await kit.cli(['doctor', plan]);
  expect(without.code, without.stdout + without.stderr).toBe(4);
  expect(without.stdout).toContain(`${fixture.admin.user}@% lacks PROCESS ON *.*, SELECT ON mysql.global_priv`);
  const grants = [...without.stdout.matchAll(/`(GRANT [^`]+)`/g)].map((m) => m[1]!).filter((g) => !g.includes('CONNECTION ADMIN'));
  expect(grants).toEqual([`GRANT PROCESS ON *.* TO '${fixture.admin.user}'@'%'`, `GRANT SELECT ON mysql.global_priv TO '${fixture.admin.user}'@'%'`]);
  for (const grant of grants) await db.sql(grant);
  const fixed = await kit.cli(['doctor', plan]);
  expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
  expect(fixed.stdout).toContain(`${fixture.admin.user}@% may ALTER USER (CREATE USER), see every session (PROCESS) and read the account table`);
}, 60_000);
