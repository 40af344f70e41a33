// The postgresql issuer on a real PostgreSQL 15, beyond the shared contract: a login whose password
// was set by hand before keyrot, refusals that protect a newer password, session counts, and the
// errors a user meets (none of which quotes a password).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { createPostgresqlIssuer } from '../../src/providers/issuers/postgresql/issuer.js';
import { postgresqlIssuerSchema } from '../../src/providers/issuers/postgresql/schema.js';
import type { KeyIssuer } from '../../src/providers/types.js';
import { startPostgres, type Postgres } from '../peers/postgresql.js';

let db: Postgres;
let fixture: Awaited<ReturnType<Postgres['alternating']>>;
let n = 0;
beforeAll(async () => {
  db = await startPostgres();
}, 120_000);
afterAll(async () => {
  await db?.stop();
});
beforeEach(async () => {
  fixture = await db.alternating(`unit${++n}`);
});

const issuer = (admin = fixture.admin, roles: [string, string] = fixture.roles): KeyIssuer =>
  createPostgresqlIssuer(
    postgresqlIssuerSchema.parse({ type: 'postgresql', host: db.host, port: db.port, admin: { user: admin.user, passwordEnv: 'PG_ADMIN' }, roles }),
    { planName: 't', planDir: '.', stateDir: '.keyrot', env: { PG_ADMIN: admin.password }, now: () => new Date(), note: () => undefined },
  );
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as KeyrotError);
const canLogIn = async (user: string, password: string) => {
  const client = await db.connect(user, password).catch(() => undefined);
  await client?.end();
  return client !== undefined;
};

describe('postgresql issuer', () => {
  it('takes over a login whose password was set by hand: listed as <role>@external, rotated to the other role, kept restorable when deactivated', async () => {
    const [blue, green] = fixture.roles;
    await db.sql(`ALTER ROLE ${blue} LOGIN PASSWORD 'set-by-hand-before-keyrot'`);
    const pg = issuer();
    expect(await pg.list()).toEqual([{ id: `${blue}@external`, status: 'active', createdAt: new Date(0) }]);

    const created = await pg.create();
    expect(created.keyId).toMatch(new RegExp(`^${green}@\\d{4}-`));
    await pg.deactivate(`${blue}@external`);
    expect((await pg.list()).map((k) => `${k.id}:${k.status}`)).toEqual([`${blue}@external:inactive`, `${created.keyId}:active`]);
    expect(await canLogIn(blue, 'set-by-hand-before-keyrot')).toBe(false);

    await pg.reactivate(`${blue}@external`); // a rollback: the hand-set password works again
    expect(await canLogIn(blue, 'set-by-hand-before-keyrot')).toBe(true);
    await pg.delete(`${blue}@external`);
    await db.sql(`ALTER ROLE ${blue} LOGIN`); // even LOGIN again by hand: no password is left to log in with
    expect(await canLogIn(blue, 'set-by-hand-before-keyrot')).toBe(false);
  });

  it('never touches a newer password: deactivating a key its role no longer holds is refused, and changes nothing', async () => {
    const pg = issuer();
    const first = await pg.create();
    await pg.create();
    await pg.delete(first.keyId);
    const again = await pg.create(); // the same role, a new password
    expect(again.keyId.split('@')[0]).toBe(first.keyId.split('@')[0]);

    const refused = await failure(pg.deactivate(first.keyId));
    expect(refused?.code).toBe('db-key-not-found');
    expect(refused?.message).toContain(`now holds ${again.keyId}`);
    expect(await canLogIn(again.keyId.split('@')[0]!, again.secret)).toBe(true);
    expect(await pg.delete(first.keyId)).toBe('gone');
  });

  it('counts the sessions open now as the key\'s role (not keyrot\'s own), whatever their password', async () => {
    const pg = issuer();
    const key = await pg.create();
    const role = key.keyId.split('@')[0]!;
    const clients = [await db.connect(role, key.secret), await db.connect(role, key.secret)];
    await pg.deactivate(key.keyId);
    expect(await pg.lastUsed(key.keyId)).toEqual({ reported: 'sessions', sessions: 2 }); // NOLOGIN does not end them
    await Promise.all(clients.map((c) => c.end()));
    expect(await pg.lastUsed(key.keyId)).toEqual({ reported: 'sessions', sessions: 0 });
  });

  it('says what is wrong, never with a password: a missing role, a wrong admin password, an admin without CREATEROLE', async () => {
    const missing = await failure(issuer(fixture.admin, [fixture.roles[0], 'no_such_role']).list());
    expect(missing).toMatchObject({ code: 'db-login-missing', exitCode: 2, message: expect.stringContaining('role "no_such_role" does not exist') });

    const wrong = await failure(issuer({ user: fixture.admin.user, password: 'not-the-password-123' }).list());
    expect(wrong).toMatchObject({ code: 'provider-auth-failed', exitCode: 4 });
    expect(wrong!.message).toContain(`password authentication failed for user "${fixture.admin.user}"`);
    expect(`${wrong!.message} ${wrong!.hint}`).not.toContain('not-the-password-123');

    await db.sql(`CREATE ROLE weak_${n} LOGIN PASSWORD 'weak-password-456'`);
    const denied = await failure(issuer({ user: `weak_${n}`, password: 'weak-password-456' }).create());
    expect(denied).toMatchObject({ code: 'db-denied', exitCode: 4, message: expect.stringContaining(`weak_${n} may not ALTER ROLE … PASSWORD: permission denied`) });
    expect(denied!.hint).toContain('README "Database privileges"');
    expect(await issuer().list()).toEqual([]); // the transaction rolled back: no half-set role
  });
});
