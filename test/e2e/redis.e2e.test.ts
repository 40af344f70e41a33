// The built keyrot rotating a Redis ACL user's password (one user, two passwords during the overlap)
// on a real Redis 7, logged in as a user allowed only what the issuer runs: the shared database
// scenarios, then the ACL file and what `keyrot plan` and `keyrot doctor` show.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { parseUser } from '../../src/providers/issuers/redis/passwords.js';
import { ADMIN_ENV } from '../helpers/database-kit.js';
import { databaseScenarios } from '../helpers/database-scenarios.js';
import { startRedis, type Redis } from '../peers/redis.js';

let redis: Redis;
let fixture: Awaited<ReturnType<Redis['fixture']>>;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const source = () => ({ type: 'redis', host: redis.host, port: redis.port, admin: { user: fixture.admin.user, passwordEnv: ADMIN_ENV }, user: fixture.user });

const canLogIn = async (user: string, password: string) => {
  const client = await redis.connect(user, password).catch(() => undefined);
  client?.destroy();
  return client !== undefined;
};

const { kit } = databaseScenarios({
  kind: 'redis',
  async start() {
    redis = await startRedis();
    return { host: redis.host, port: redis.port, stop: () => redis.stop() };
  },
  async fixture(n) {
    fixture = await redis.fixture(`e2e${n}`);
    return { source: source(), adminPassword: fixture.admin.password };
  },
  logins: () => [fixture.user, fixture.user],
  canLogIn,
  async hold(user, password) {
    const client = await redis.connect(user, password);
    return { alive: () => client.ping().then(() => true, () => false), end: async () => client.destroy() };
  },
  async withoutSessionPrivilege() {
    await redis.command('ACL', 'SETUSER', fixture.admin.user, '-client|kill');
  },
  async asAdministrator(statement) {
    await redis.command(...statement.split(' ')); // as redis-cli takes it
  },
  /** The user holds exactly one password, the published one, and the ACL file says so too. */
  async onlyPublishedInUse({ secret }) {
    expect(parseUser(await redis.command('ACL', 'GETUSER', fixture.user))!.passwords).toEqual([sha256(secret)]);
    expect(await canLogIn(fixture.user, secret)).toBe(true);
    const line = (await redis.aclFile()).split('\n').find((l) => l.startsWith(`user ${fixture.user} `))!;
    expect(line.match(/#[0-9a-f]{64}/g)).toEqual([`#${sha256(secret)}`]);
  },
});

it('`keyrot plan` shows the ACL commands without a password; `keyrot doctor` passes least privilege and counts the connections', async () => {
  const plan = kit.plan('svc', source());
  expect((await kit.cli(['run', '--yes', plan])).code).toBe(0);
  const { secret } = kit.published('svc');
  const client = await redis.connect(fixture.user, secret);

  const dry = await kit.cli(['plan', plan]);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toContain(`ACL SETUSER ${fixture.user} #<SHA-256 of the new password>; ACL SAVE`);
  expect(dry.stdout).toContain(`ACL SETUSER ${fixture.user} !<SHA-256 of the old password>`);
  const doctor = await kit.cli(['doctor', plan]);
  client.destroy();
  expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
  expect(doctor.stdout).toMatch(new RegExp(`${fixture.user}: 1 connection now from 127\\.0\\.0\\.1`));
  expect(doctor.stdout).toContain(`${fixture.admin.user} may run little beyond what keyrot needs`);
  expect(doctor.stdout).toContain(`${fixture.admin.user} may end the connections of a revoked password (client|kill)`);
  await redis.command('ACL', 'SETUSER', fixture.admin.user, '-client|kill');
  const without = await kit.cli(['doctor', plan]);
  expect(without.code, 'a warning, not a failure: rotations do not need it').toBe(0);
  expect(without.stdout).toContain(`${fixture.admin.user} may not run client|kill: a revoke would remove the leaked password but could not end the connections it already opened`);
  expect(without.stdout).toContain(`ACL SETUSER ${fixture.admin.user} +client|kill, then keyrot doctor again`);
  expect(kit.leaks()).toEqual([]);
}, 60_000);
