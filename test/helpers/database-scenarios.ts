// The end-to-end scenarios every database issuer passes, through the built keyrot, on its real server:
// a pooled consumer through two rotations sees no error, a consumer that never reconnects holds the
// session gate until maxWait (exit 3), SIGKILL at every step converges, rollback in the soak restores
// the old credential, and a leaked one is revoked. Each issuer's e2e file runs them with its adapter.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, requireBuild, savePointsIn } from './cli.js';
import { ADMIN_ENV, databaseKit } from './database-kit.js';
import type { StoredKey } from './inspect.js';
import { workspace, type Workspace } from './workspace.js';

export interface DatabaseUnderTest {
  kind: 'postgresql' | 'mysql' | 'redis';
  /** Start the server; answers where it is and how to stop it. */
  start(): Promise<{ host: string; port: number; stop(): Promise<void> }>;
  /** A fresh rotated login (or pair) per test: the plan's `source` and the admin's password. */
  fixture(n: number): Promise<{ source: Record<string, unknown>; adminPassword: string }>;
  canLogIn(user: string, password: string): Promise<boolean>;
  /** A connection that logs in once and never reconnects; alive() answers whether a query on it still
   *  succeeds; end() closes it. */
  hold(user: string, password: string): Promise<Held>;
  /** Take back from keyrot's login the privilege a revoke needs to end another login's sessions. */
  withoutSessionPrivilege(): Promise<void>;
  /** Run a statement (SQL, or a Redis command line) as the server's administrator: what a hint says to paste. */
  asAdministrator(statement: string): Promise<void>;
  /** After a finished rotation: only the published credential logs in, and the grants are intact. */
  onlyPublishedInUse(published: StoredKey): Promise<void>;
  /** Which login the first and the second key go to (alternating users), or the one user (Redis). */
  logins(source: Record<string, unknown>): [string, string];
  /** The database the consumer's pool opens (SQL servers). */
  consumerDatabase?: string;
  /** The statement an administrator runs to disable a login by hand (SQL servers: a login per key). */
  disableByHand?(user: string): string;
}

export interface Held {
  alive(): Promise<boolean>;
  end(): Promise<void>;
}

export const userOf = (keyId: string) => keyId.slice(0, keyId.lastIndexOf('@'));

export function databaseScenarios(db: DatabaseUnderTest): { ws(): Workspace; kit: ReturnType<typeof databaseKit>; server(): { host: string; port: number }; source(): Record<string, unknown> } {
  let server: Awaited<ReturnType<DatabaseUnderTest['start']>>;
  let ws: Workspace;
  let fixture: Awaited<ReturnType<DatabaseUnderTest['fixture']>>;
  let n = 0;
  const kit = databaseKit(() => ({ ws, adminPassword: fixture.adminPassword }));

  beforeAll(async () => {
    requireBuild();
    server = await db.start();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    ws = workspace();
    fixture = await db.fixture(++n);
  });
  afterEach(() => ws.cleanup());

  /** Run `keyrot run --no-wait` until the rotation stands at `phase` (the session gate asks once a second). */
  async function runUntil(plan: string, phase: string): Promise<void> {
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 300))) {
      const r = await kit.cli(['run', '--no-wait', '--yes', plan]);
      expect([0, 75], r.stderr).toContain(r.code);
      if ((kit.state('svc')?.phase ?? 'done') === phase) return;
    }
    throw new Error(`never reached ${phase}: ${JSON.stringify(kit.state('svc'))}`);
  }

  describe(`${db.kind}: end to end on a real server`, () => {
    it('a consumer holding a pool keeps querying through two rotations and never sees an error', async () => {
      const plan = kit.plan('svc', fixture.source);
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      const [first, second] = db.logins(fixture.source);
      expect(userOf(kit.published('svc').keyId)).toBe(first);

      const consumer = await kit.consumer(db.kind, 'svc', server.host, server.port, db.consumerDatabase);
      await new Promise((r) => setTimeout(r, 300));
      for (const to of [second, first]) {
        const old = kit.published('svc');
        await runUntil(plan, 'soak');
        expect(await db.canLogIn(userOf(old.keyId), old.secret)).toBe(false); // deactivated...
        kit.expireDeadline('svc', 'soak');
        expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
        expect(userOf(kit.published('svc').keyId)).toBe(to);
        await db.onlyPublishedInUse(kit.published('svc'));
      }
      const seen = await consumer.stop();
      expect(seen.errors).toEqual({}); // no query failed, not even while the pool moved
      expect(seen.logins).toEqual([first, second, first]);
      expect(seen.ok).toBeGreaterThan(20);
      expect(kit.leaks()).toEqual([]);
    }, 90_000);

    it('a consumer that never reconnects holds the session gate, exit 3 at maxWait; the old credential still logs in', async () => {
      const plan = kit.plan('svc', fixture.source);
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      const old = kit.published('svc');
      const stuck = await db.hold(userOf(old.keyId), old.secret);

      const waiting = await kit.cli(['run', '--no-wait', plan]);
      expect(waiting.code, waiting.stderr).toBe(75);
      expect(waiting.stdout).toMatch(/old key must have no session for 0s: by 1 session connected now/);
      kit.expireDeadline('svc', 'last-used');
      const held = await kit.cli(['run', '--no-wait', plan]);
      expect(held.code).toBe(3);
      expect(held.stderr).toMatch(new RegExp(`old key ${old.keyId} was still used by 1 session connected now( \\(from [^)]+\\))? after waiting 1h; not deactivating it`));
      expect(await db.canLogIn(userOf(old.keyId), old.secret)).toBe(true);
      expect(await stuck.alive(), 'a planned rotation never ends a consumer\'s session').toBe(true);

      await stuck.end(); // it reconnects at last (with the new credential)
      const on = await kit.cli(['run', '--no-wait', plan]);
      expect(on.code, on.stderr).toBe(75); // soaking: deactivated
      expect(await db.canLogIn(userOf(old.keyId), old.secret)).toBe(false);
      expect(kit.leaks()).toEqual([]);
    }, 60_000);

    it('SIGKILL at every step: the published credential always logs in, and every rotation converges to it alone, grants intact', async () => {
      const plan = kit.plan('svc', fixture.source, { soak: '0s' });
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      // One rotation, traced: every save it makes is a point to kill at (phase:stage#n), create:acting#2
      // among them: the new password is set on the login nobody uses, and not yet published.
      const traced = await kit.cli(['run', '--yes', plan], { KEYROT_TEST_SAVES: path.join(ws.dir, 'saves.txt') });
      expect(traced.code, traced.stderr).toBe(0);
      const steps = savePointsIn(path.join(ws.dir, 'saves.txt'));
      expect(steps).toContain('create:acting#2');
      for (const step of steps) {
        const before = kit.published('svc').keyId;
        const killed = await kit.cli(['run', '--yes', plan], { KEYROT_TEST_KILL_AFTER: step });
        expect(killed.signal, `${step}: ${killed.stderr}`).toBe('SIGKILL');
        const served = kit.published('svc');
        expect(await db.canLogIn(userOf(served.keyId), served.secret), `${step}: the published credential logs in`).toBe(true);

        const resumed = await kit.cli(['run', '--yes', plan]);
        expect(resumed.code, `${step}: ${resumed.stderr}`).toBe(0);
        expect(kit.published('svc').keyId, step).not.toBe(before);
        await db.onlyPublishedInUse(kit.published('svc'));
      }
      expect(kit.leaks()).toEqual([]);
    }, 120_000);

    it('rollback during the soak brings the old credential back', async () => {
      const plan = kit.plan('svc', fixture.source);
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      const old = kit.published('svc');
      await runUntil(plan, 'soak');
      expect(await db.canLogIn(userOf(old.keyId), old.secret)).toBe(false);

      const back = await kit.cli(['rollback', plan]);
      expect(back.code, back.stderr).toBe(0);
      expect(await db.canLogIn(userOf(old.keyId), old.secret)).toBe(true);
      const fresh = kit.published('svc');
      expect(await db.canLogIn(userOf(fresh.keyId), fresh.secret)).toBe(true); // both log in until resumed
      const again = await kit.cli(['run', '--no-wait', '--resume-after-rollback', plan]);
      expect(again.code, again.stderr).toBe(75);
      expect(await db.canLogIn(userOf(old.keyId), old.secret)).toBe(false);
      expect(kit.leaks()).toEqual([]);
    }, 60_000);

    it('a leaked password piped to `keyrot revoke --secret-stdin` is found by its fingerprint, shut out at once, its open session ended, and replaced', async () => {
      const plan = kit.plan('svc', fixture.source);
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      const leaked = kit.published('svc');
      const attacker = await db.hold(userOf(leaked.keyId), leaked.secret);
      const revoke = spawnSync(process.execPath, [BIN, 'revoke', '--yes', '--secret-stdin', ws.dir], {
        cwd: ws.dir, input: `${leaked.secret}\n`, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', [ADMIN_ENV]: fixture.adminPassword },
      });
      expect(revoke.status, revoke.stderr).toBe(0);
      expect(`${revoke.stdout}${revoke.stderr}`.includes(leaked.secret)).toBe(false);
      expect(revoke.stdout).toContain(`deactivated leaked key ${leaked.keyId}`);
      expect(revoke.stdout).toContain(`ended 1 session open as leaked key ${leaked.keyId}`);
      expect(await attacker.alive()).toBe(false);
      expect(kit.audit().find((r) => r.action === 'end-sessions')).toMatchObject({ outcome: 'ok', phase: 'revoke', detail: `ended 1 session open as leaked key ${leaked.keyId}` });
      expect(await db.canLogIn(userOf(leaked.keyId), leaked.secret)).toBe(false);
      const replacement = kit.published('svc');
      expect(replacement.keyId).not.toBe(leaked.keyId);
      expect(await db.canLogIn(userOf(replacement.keyId), replacement.secret)).toBe(true);
      expect(kit.leaks()).toEqual([]);
      await attacker.end();
    }, 60_000);

    it('the old password leaks during the overlap: revoke ends its sessions and never one on the new password', async () => {
      const plan = kit.plan('svc', fixture.source);
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      const leaked = kit.published('svc');
      const attacker = await db.hold(userOf(leaked.keyId), leaked.secret);
      expect((await kit.cli(['run', '--no-wait', plan])).code).toBe(75); // the session gate waits for it
      const fresh = kit.published('svc');
      const consumer = await db.hold(userOf(fresh.keyId), fresh.secret);

      const revoke = await kit.cli(['revoke', '--yes', '--key', leaked.keyId, plan]);
      expect(revoke.code, revoke.stderr).toBe(0);
      expect(revoke.stdout).toContain(`ended 1 session open as leaked key ${leaked.keyId}`);
      expect(await attacker.alive()).toBe(false);
      expect(await consumer.alive(), 'a session on the new password survives').toBe(true);
      expect(await db.canLogIn(userOf(leaked.keyId), leaked.secret)).toBe(false);
      expect(kit.published('svc').keyId).toBe(fresh.keyId);
      expect(kit.leaks()).toEqual([]);
      await Promise.all([attacker.end(), consumer.end()]);
    }, 60_000);

    it('keyrot\'s login may not end sessions: the key is revoked anyway, exit 4 says how to end them, and the hinted re-run does', async () => {
      const plan = kit.plan('svc', fixture.source);
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      const leaked = kit.published('svc');
      const attacker = await db.hold(userOf(leaked.keyId), leaked.secret);
      await db.withoutSessionPrivilege();

      const revoke = await kit.cli(['revoke', '--yes', '--key', leaked.keyId, plan]);
      expect(revoke.code, revoke.stderr).toBe(4);
      expect(revoke.stderr).toContain(`leaked key ${leaked.keyId} is revoked (its password logs in no more), but the sessions it already opened as ${userOf(leaked.keyId)} were not ended`);
      const hint = /as an administrator of the database run `([^`]+)`, then `keyrot (revoke --yes --key [^`]+)` ends them/.exec(revoke.stderr);
      expect(hint, revoke.stderr).not.toBeNull();
      expect(await db.canLogIn(userOf(leaked.keyId), leaked.secret)).toBe(false);
      expect(await attacker.alive()).toBe(true);
      const replacement = kit.published('svc');
      expect(await db.canLogIn(userOf(replacement.keyId), replacement.secret)).toBe(true);
      expect(kit.audit().find((r) => r.action === 'end-sessions')).toMatchObject({ outcome: 'failed', detail: expect.stringContaining(`sessions open as leaked ${leaked.keyId} not ended`) });

      await db.asAdministrator(hint![1]!); // the hint, pasted
      expect(hint![2]).toBe(`revoke --yes --key ${leaked.keyId} ${plan}`);
      const again = await kit.cli(['revoke', '--yes', '--key', leaked.keyId, plan]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`ended 1 session open as leaked key ${leaked.keyId}`);
      expect(await attacker.alive()).toBe(false);
      expect(kit.leaks()).toEqual([]);
      await attacker.end();
    }, 60_000);
  });

  describe(`${db.kind}: the old password an abandoned rotation left inactive leaks`, () => {
    // Where each key is its own login its sessions are ended; Redis (one user, every password) cannot tell which.
    const tellsKeys = db.kind !== 'redis';
    it(tellsKeys ? 'nothing to revoke, but the session it opened is ended (exit 0)' : 'nothing to revoke, and its sessions are said plainly to be left open: Redis cannot tell which (exit 0)', async () => {
      const plan = kit.plan('svc', fixture.source);
      expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
      const old = kit.published('svc');
      await runUntil(plan, 'soak');
      expect((await kit.cli(['rollback', plan])).code).toBe(0);
      const attacker = await db.hold(userOf(old.keyId), old.secret); // opened while it logged in again
      expect((await kit.cli(['run', '--no-wait', '--resume-after-rollback', plan])).code).toBe(75); // deactivated again: the soak
      expect((await kit.cli(['abandon', plan])).code).toBe(0);
      expect(await db.canLogIn(userOf(old.keyId), old.secret)).toBe(false);
      expect(await attacker.alive()).toBe(true);

      const revoke = await kit.cli(['revoke', '--yes', '--key', old.keyId, plan]);
      expect(revoke.code, revoke.stderr).toBe(0);
      expect(revoke.stdout).toContain(`nothing to revoke: ${old.keyId} is already inactive`);
      if (tellsKeys) {
        expect(revoke.stdout).toContain(`ended 1 session open as leaked key ${old.keyId}`);
        expect(await attacker.alive()).toBe(false);
      } else {
        const said = `sessions open as leaked ${old.keyId} (inactive already) left open: keyrot cannot tell them from the current key's: one ACL user (${userOf(old.keyId)}) holds every password, and Redis does not say which password a connection used`;
        expect(revoke.stderr).toContain(said);
        expect(kit.audit().find((r) => r.action === 'end-sessions')).toMatchObject({ outcome: 'skipped', detail: said });
        expect(await attacker.alive()).toBe(true);
      }
      expect(kit.leaks()).toEqual([]);
      await attacker.end();
    }, 60_000);
  });

  if (db.disableByHand) {
    const disable = db.disableByHand.bind(db);
    describe(`${db.kind}: a leaked password found inactive already`, () => {
      it('disabled by hand, not by keyrot: nothing to revoke, but the session it opened is ended, shown and audited (exit 0)', async () => {
        const plan = kit.plan('svc', fixture.source);
        expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
        const leaked = kit.published('svc');
        const attacker = await db.hold(userOf(leaked.keyId), leaked.secret);
        await db.asAdministrator(disable(userOf(leaked.keyId)));
        const before = kit.state('svc');

        const revoke = await kit.cli(['revoke', '--yes', '--key', leaked.keyId, plan]);
        expect(revoke.code, revoke.stderr).toBe(0);
        expect(revoke.stdout).toContain(`nothing to revoke: ${leaked.keyId} is already inactive`);
        expect(revoke.stdout).toContain(`ended 1 session open as leaked key ${leaked.keyId}`);
        expect(await attacker.alive()).toBe(false);
        expect(kit.audit().find((r) => r.action === 'end-sessions')).toMatchObject({ outcome: 'ok', phase: 'revoke', detail: `ended 1 session open as leaked key ${leaked.keyId}` });
        expect(kit.state('svc')).toEqual(before); // no rotation started
        expect(kit.leaks()).toEqual([]);
        await attacker.end();
      }, 60_000);
    });
  }

  return { ws: () => ws, kit, server: () => server, source: () => fixture.source };
}
