// The built keyrot rotating PostgreSQL passwords between two login roles, on a real PostgreSQL 15,
// logged in as a CREATEROLE-only login: a pooled consumer never sees an error, a consumer that never
// reconnects holds the session gate, SIGKILL at every step converges, rollback and revoke work.
// Waits are never slept through: a stored deadline is moved into the past instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ADMIN_ENV, databaseKit } from '../helpers/database-kit.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startPostgres, type Postgres } from '../peers/postgresql.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let db: Postgres;
let ws: Workspace;
let fixture: Awaited<ReturnType<Postgres['alternating']>>;
let n = 0;

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('build first: `npm run build` (npm test does)');
  db = await startPostgres();
}, 120_000);
afterAll(async () => {
  await db?.stop();
});
beforeEach(async () => {
  ws = workspace();
  fixture = await db.alternating(`e2e${++n}`);
});
afterEach(() => ws.cleanup());

const kit = databaseKit(() => ({ ws, adminPassword: fixture.admin.password }));
const source = () => ({ type: 'postgresql', host: db.host, port: db.port, admin: { user: fixture.admin.user, passwordEnv: ADMIN_ENV }, roles: fixture.roles });
const userOf = (keyId: string) => keyId.slice(0, keyId.lastIndexOf('@'));

interface RoleNow { rolname: string; rolcanlogin: boolean; member: boolean; selects: boolean; comment: string | null }
/** Both roles as the server has them: LOGIN, still in the group, still allowed to read the table. */
const roles = () => db.sql<RoleNow>(
  `SELECT rolname, rolcanlogin, pg_has_role(rolname, $2, 'MEMBER') AS member, has_table_privilege(rolname, $3, 'SELECT') AS selects,
     shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
  [fixture.roles, fixture.roles[0].replace(/_blue$/, ''), fixture.table],
);
const canLogIn = async (user: string, password: string) => {
  const client = await db.connect(user, password).catch(() => undefined);
  await client?.end();
  return client !== undefined;
};
const sessionsOf = async (role: string) => Number((await db.sql<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1', [role]))[0]!.n);

/** Run `keyrot run --no-wait` until the rotation stands at `phase` (the session gate asks once a second). */
async function runUntil(plan: string, name: string, phase: string): Promise<void> {
  for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 300))) {
    const r = await kit.cli(['run', '--no-wait', '--yes', plan]);
    expect([0, 75], r.stderr).toContain(r.code);
    if ((kit.state(name)?.phase ?? 'done') === phase) return;
  }
  throw new Error(`${name} never reached ${phase}: ${JSON.stringify(kit.state(name))}`);
}

/** After a finished rotation: exactly one role logs in, with the published password; both keep their grants. */
async function exactlyOneInUse(name: string): Promise<string> {
  const { keyId, secret } = kit.published(name);
  const user = userOf(keyId);
  const now = await roles();
  expect(now.map((r) => [r.rolname, r.rolcanlogin, r.member, r.selects])).toEqual(fixture.roles.map((r) => [r, r === user, true, true]).sort());
  expect(await canLogIn(user, secret)).toBe(true);
  const other = now.find((r) => r.rolname !== user)!;
  expect(other.comment ?? '').toMatch(/^keyrot: password removed |^$/);
  return keyId;
}

describe('postgresql: alternating login roles on a real server', () => {
  it('a consumer holding a pool keeps querying through two rotations and never sees an error', async () => {
    const plan = kit.plan('orders', source());
    expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
    const first = kit.published('orders').keyId;
    expect(userOf(first)).toBe(fixture.roles[0]);

    const consumer = await kit.consumer('postgresql', 'orders', db.host, db.port, 'postgres');
    for (const end = Date.now() + 10_000; (await sessionsOf(fixture.roles[0])) === 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));

    for (const [from, to] of [[0, 1], [1, 0]] as const) {
      await runUntil(plan, 'orders', 'soak');
      expect(await sessionsOf(fixture.roles[from])).toBe(0); // the gate let deactivate through only once the old pool closed
      expect(await sessionsOf(fixture.roles[to])).toBeGreaterThan(0);
      kit.expireDeadline('orders', 'soak');
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      expect(userOf(await exactlyOneInUse('orders'))).toBe(fixture.roles[to]);
    }

    const seen = await consumer.stop();
    expect(seen.errors).toEqual({});
    expect(seen.logins).toEqual([fixture.roles[0], fixture.roles[1], fixture.roles[0]]);
    expect(seen.ok).toBeGreaterThan(20);
    expect(kit.leaks()).toEqual([]);
  }, 90_000);

  it('a consumer that never reconnects holds the session gate, exit 3 at maxWait; the old role still logs in', async () => {
    const plan = kit.plan('orders', source());
    expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
    const old = kit.published('orders');
    const stuck: pg.Client = await db.connect(userOf(old.keyId), old.secret);

    const waiting = await kit.cli(['run', '--no-wait', plan]);
    expect(waiting.code).toBe(75);
    expect(waiting.stdout).toContain(`old key must have no session for 0s: by 1 session(s) connected now`);
    kit.expireDeadline('orders', 'last-used');
    const held = await kit.cli(['run', '--no-wait', plan]);
    expect(held.code).toBe(3);
    expect(held.stderr).toContain(`old key ${old.keyId} was still used by 1 session(s) connected now after waiting 1h; not deactivating it`);
    expect((await roles()).find((r) => r.rolname === userOf(old.keyId))!.rolcanlogin).toBe(true);
    expect(await canLogIn(userOf(old.keyId), old.secret)).toBe(true);

    await stuck.end(); // it reconnects at last (to the new login)
    const on = await kit.cli(['run', '--no-wait', plan]);
    expect(on.code, on.stderr).toBe(75); // soaking: deactivated
    expect(await canLogIn(userOf(old.keyId), old.secret)).toBe(false);
    expect(kit.leaks()).toEqual([]);
  }, 60_000);

  it('SIGKILL at every step: the published password always logs in, and every rotation converges to one role in use, grants intact', async () => {
    const plan = kit.plan('orders', source(), { soak: '0s' });
    expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
    const steps = ['create:acting', 'create:acting#2', 'publish:acting', 'verify:acting', 'drain:acting', 'last-used:waiting',
      'deactivate:acting', 'deactivate:waiting', 'soak:waiting', 'delete:acting', 'delete:waiting'];
    for (const step of steps) {
      const before = kit.published('orders').keyId;
      const killed = await kit.cli(['run', '--yes', plan], { KEYROT_FAULT_KILL_AT: step });
      expect(killed.signal, `${step}: ${killed.stderr}`).toBe('SIGKILL');
      const served = kit.published('orders');
      expect(await canLogIn(userOf(served.keyId), served.secret), `${step}: the published login works`).toBe(true);

      const resumed = await kit.cli(['run', '--yes', plan]);
      expect(resumed.code, `${step}: ${resumed.stderr}`).toBe(0);
      expect(kit.published('orders').keyId, step).not.toBe(before);
      await exactlyOneInUse('orders');
    }
    expect(kit.leaks()).toEqual([]);
  }, 120_000);

  it('rollback during the soak brings the old role back, with its password', async () => {
    const plan = kit.plan('orders', source());
    expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
    const old = kit.published('orders');
    await runUntil(plan, 'orders', 'soak');
    expect(await canLogIn(userOf(old.keyId), old.secret)).toBe(false);

    const back = await kit.cli(['rollback', plan]);
    expect(back.code, back.stderr).toBe(0);
    expect(await canLogIn(userOf(old.keyId), old.secret)).toBe(true);
    expect((await roles()).every((r) => r.rolcanlogin && r.member && r.selects)).toBe(true); // both serve until resumed
    const again = await kit.cli(['run', '--no-wait', '--resume-after-rollback', plan]);
    expect(again.code, again.stderr).toBe(75);
    expect(await canLogIn(userOf(old.keyId), old.secret)).toBe(false);
    expect(kit.leaks()).toEqual([]);
  }, 60_000);

  it('a leaked password piped to `keyrot revoke --secret-stdin` is found by its fingerprint, its role set NOLOGIN at once, the other published', async () => {
    const plan = kit.plan('orders', source());
    expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
    const leaked = kit.published('orders');
    const revoke = spawnSync(process.execPath, [BIN, 'revoke', '--secret-stdin', ws.dir], {
      cwd: ws.dir, input: `${leaked.secret}\n`, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', [ADMIN_ENV]: fixture.admin.password },
    });
    expect(revoke.status, revoke.stderr).toBe(0);
    expect(`${revoke.stdout}${revoke.stderr}`.includes(leaked.secret)).toBe(false);
    expect(revoke.stdout).toContain(`deactivated leaked key ${leaked.keyId}`);
    expect(await canLogIn(userOf(leaked.keyId), leaked.secret)).toBe(false);
    const replacement = kit.published('orders');
    expect(userOf(replacement.keyId)).toBe(fixture.roles[1]);
    expect(await canLogIn(fixture.roles[1], replacement.secret)).toBe(true);
    expect(kit.leaks()).toEqual([]);
  }, 60_000);

  it('`keyrot plan` shows the SQL with the password masked; `keyrot doctor` passes least privilege and shows the sessions per role', async () => {
    const plan = kit.plan('orders', source());
    expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
    const { keyId, secret } = kit.published('orders');
    const client = await db.connect(userOf(keyId), secret);

    const dry = await kit.cli(['plan', plan]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`ALTER ROLE <the role of ${fixture.roles.join('/')} holding no key> WITH LOGIN PASSWORD '<SCRAM-SHA-256 verifier, masked>'`);
    expect(dry.stdout).toContain('ALTER ROLE <old role> WITH NOLOGIN');
    const doctor = await kit.cli(['doctor', plan]);
    await client.end();
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect(doctor.stdout).toContain(`${fixture.roles[0]}: 1 session(s) now; ${fixture.roles[1]}: 0 session(s) now (NOLOGIN)`);
    expect(doctor.stdout).toContain(`${fixture.admin.user} has CREATEROLE and no SUPERUSER`);
    expect(kit.leaks()).toEqual([]);
  }, 60_000);
});
