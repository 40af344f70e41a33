// The built keyrot rotating PostgreSQL passwords between two login roles, on a real PostgreSQL 15,
// logged in as a login with CREATEROLE and pg_signal_backend only: the shared database scenarios,
// then what `keyrot plan` and `keyrot doctor` show. Waits are never slept through: a stored deadline is moved into the past.
import { expect, it } from 'vitest';
import { ADMIN_ENV } from '../helpers/database-kit.js';
import { databaseScenarios, userOf } from '../helpers/database-scenarios.js';
import type { StoredKey } from '../helpers/inspect.js';
import { startPostgres, type Postgres } from '../peers/postgresql.js';

let db: Postgres;
let fixture: Awaited<ReturnType<Postgres['alternating']>>;

const canLogIn = async (user: string, password: string) => {
  const client = await db.connect(user, password).catch(() => undefined);
  await client?.end();
  return client !== undefined;
};

interface RoleNow { rolname: string; rolcanlogin: boolean; member: boolean; selects: boolean; comment: string | null }

const { kit } = databaseScenarios({
  kind: 'postgresql',
  consumerDatabase: 'postgres',
  async start() {
    db = await startPostgres();
    return { host: db.host, port: db.port, stop: () => db.stop() };
  },
  async fixture(n) {
    fixture = await db.alternating(`e2e${n}`);
    return { source: { type: 'postgresql', host: db.host, port: db.port, admin: { user: fixture.admin.user, passwordEnv: ADMIN_ENV }, roles: fixture.roles }, adminPassword: fixture.admin.password };
  },
  logins: () => fixture.roles,
  canLogIn,
  async hold(user, password) {
    const client = await db.connect(user, password);
    return { alive: () => client.query('SELECT 1').then(() => true, () => false), end: () => client.end().catch(() => undefined) };
  },
  async withoutSessionPrivilege() {
    await db.sql(`REVOKE pg_signal_backend FROM ${fixture.admin.user}`);
  },
  async asAdministrator(statement) {
    await db.sql(statement);
  },
  disableByHand: (role) => `ALTER ROLE "${role}" NOLOGIN`,
  /** Exactly one role logs in, with the published password; both stay in the group and may read the table. */
  async onlyPublishedInUse({ keyId, secret }: StoredKey) {
    const user = userOf(keyId);
    const roles = await db.sql<RoleNow>(
      `SELECT rolname, rolcanlogin, pg_has_role(rolname, $2, 'MEMBER') AS member, has_table_privilege(rolname, $3, 'SELECT') AS selects,
         shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
      [fixture.roles, fixture.roles[0].replace(/_blue$/, ''), fixture.table],
    );
    expect(roles.map((r) => [r.rolname, r.rolcanlogin, r.member, r.selects])).toEqual(fixture.roles.map((r) => [r, r === user, true, true]).sort());
    expect(await canLogIn(user, secret)).toBe(true);
    expect(roles.find((r) => r.rolname !== user)!.comment ?? '').toMatch(/^keyrot: password removed |^$/);
  },
});

it('`keyrot plan` shows the SQL with the password masked; `keyrot doctor` passes least privilege and shows the sessions per role', async () => {
  const plan = kit.plan('svc', { type: 'postgresql', host: db.host, port: db.port, admin: { user: fixture.admin.user, passwordEnv: ADMIN_ENV }, roles: fixture.roles });
  expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
  const { keyId, secret } = kit.published('svc');
  const client = await db.connect(userOf(keyId), secret);

  const dry = await kit.cli(['plan', plan]);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toContain(`ALTER ROLE <the role of ${fixture.roles.join('/')} holding no key> WITH LOGIN PASSWORD '<SCRAM-SHA-256 verifier, masked>'`);
  expect(dry.stdout).toContain('ALTER ROLE <old role> WITH NOLOGIN (open sessions go on: a rotation waits for them to disconnect, a revoke ends them)');
  const doctor = await kit.cli(['doctor', plan]);
  await client.end();
  expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
  expect(doctor.stdout).toContain(`${fixture.roles[0]}: 1 session now; ${fixture.roles[1]}: 0 sessions now (NOLOGIN)`);
  expect(doctor.stdout).toContain(`${fixture.admin.user} has CREATEROLE and no SUPERUSER`);
  expect(doctor.stdout).toContain(`${fixture.admin.user} may end the sessions of a revoked role (pg_signal_backend)`);
  await db.sql(`REVOKE pg_signal_backend FROM ${fixture.admin.user}`);
  const without = await kit.cli(['doctor', plan]);
  expect(without.code, 'a warning, not a failure: rotations do not need it').toBe(0);
  expect(without.stdout).toContain(`${fixture.admin.user} lacks pg_signal_backend: a revoke would shut the leaked role out (NOLOGIN) but could not end the sessions it already has open`);
  expect(without.stdout).toContain(`GRANT pg_signal_backend TO "${fixture.admin.user}"`);
  expect(kit.leaks()).toEqual([]);
}, 60_000);
