// One IAM key (moto) rotated by the built binary into a GitLab project variable (the GitLab test server,
// environment scope production, masked and protected) and an SSM SecureString parameter (moto) at once;
// a rollback that publishes the old key to GitLab again from SSM (GitLab keeps no older value); a revoke
// that replaces the leaked key in both, and holds without --yes when there is no terminal to ask.
import path from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, awsKit, TESTING } from '../helpers/aws-kit.js';
import { doctorChecks, expireSoak } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startMoto, type Moto } from '../peers/moto.js';
import { type GitlabTestServer, type Owner, startGitlabServer } from '../peers/vendors/gitlab.js';
import { requireBuild } from '../helpers/cli.js';

const USER = 'deploy-bot';
const PARAM = '/deploy/aws';
const KEY = 'AWS_SECRET_ACCESS_KEY';
const APP: Owner = { project: 'acme/deploy' };

let moto: Moto;
let gitlab: GitlabTestServer;
let ws: Workspace;
let token: string;

beforeAll(async () => {
  requireBuild();
  [moto, gitlab] = await Promise.all([startMoto(), startGitlabServer()]);
  gitlab.addProject('acme/deploy');
  token = gitlab.token({ scopes: ['api'], roles: { 'acme/deploy': 40 } });
}, 300_000);
afterAll(async () => {
  expect(gitlab.violations).toEqual([]);
  await Promise.all([moto?.stop(), gitlab?.close()]);
});
beforeEach(async () => {
  await moto.reset();
  ws = workspace();
  await createUser(USER);
});
afterEach(() => {
  gitlab.clear(APP);
  ws.cleanup();
});

const { keyrot, run, keyrotOutput, createUser, keysOf, whoIs, STATE } = awsKit(() => ({ moto, ws }));
const withToken = (t = token) => ({ env: { GL_DEPLOY_TOKEN: t } });
const ssm = () => new SSMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: TESTING });

const gitlabTarget = { type: 'gitlab-ci', project: 'acme/deploy', key: KEY, value: '{{secret}}', environmentScope: 'production', tokenEnv: 'GL_DEPLOY_TOKEN' };
const plan = (extra: Record<string, unknown> = {}, target: Record<string, unknown> = {}) =>
  ws.plan('deploy', {
    apiVersion: 'keyrot/v1',
    name: 'deploy',
    source: { type: 'aws-iam', user: USER, region: 'us-east-1', endpoint: moto.endpoint, verifyTimeout: '10s' },
    publish: [
      { ...gitlabTarget, url: gitlab.baseUrl, ...target },
      { type: 'aws-ssm', region: 'us-east-1', name: PARAM, endpoint: moto.endpoint, data: { id: '{{keyId}}', secret: '{{secret}}' } },
    ],
    verify: true,
    drain: '1s',
    lastUsed: { quietFor: '1s', maxWait: '30s' },
    soak: '1s',
    ...extra,
  });

async function ssmNow(): Promise<{ id: string; secret: string }> {
  const out = await ssm().send(new GetParameterCommand({ Name: PARAM, WithDecryption: true }));
  return JSON.parse(out.Parameter!.Value!) as { id: string; secret: string };
}
const variable = () => gitlab.variables(APP).find((v) => v.key === KEY && v.environment_scope === 'production');
const gitlabNow = () => variable()?.value;
const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

describe('an IAM key in a GitLab project variable and an SSM parameter at once', () => {
  it('rotates both: GitLab holds what SSM holds, masked and protected, its description names the key, and it authenticates', async () => {
    const file = plan();
    const first = await run(file, [], withToken());
    expect(first.code, first.stderr).toBe(0);
    const k1 = await ssmNow();
    expect(gitlabNow()).toBe(k1.secret);

    const second = await run(file, [], withToken());
    expect(second.code, second.stderr).toBe(0);
    const k2 = await ssmNow();
    expect(k2.id).not.toBe(k1.id);
    expect(gitlabNow()).toBe(k2.secret);
    expect(variable()).toMatchObject({ masked: true, protected: true, raw: true, description: expect.stringMatching(new RegExp(`^managed by keyrot: plan deploy, key ${k2.id}, sha256:`)) });
    expect(await keysOf(USER)).toEqual([{ id: k2.id, status: 'Active' }]);
    expect(await whoIs(k2.id, gitlabNow()!)).toBe(`arn:aws:iam::${ACCOUNT}:user/${USER}`);
    // GitLab keeps no older value: no scope of the key holds the old secret.
    expect(gitlab.variables(APP).some((v) => v.value.includes(k1.secret))).toBe(false);
    const shown = keyrotOutput([first, second]);
    for (const secret of [k1.secret, k2.secret]) expect(shown.includes(secret)).toBe(false);
  });

  it('a rollback publishes the old key to GitLab again from SSM, and resuming publishes the new one', async () => {
    const file = plan({ soak: '1h', drain: '0s', lastUsed: undefined });
    const preview = await keyrot(['plan', '--state', STATE, file], withToken());
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain('gitlab-ci AWS_SECRET_ACCESS_KEY (project acme/deploy (environment scope production))');

    expect((await run(file, [], withToken())).code).toBe(0);
    const k1 = await ssmNow();
    expect((await run(file, ['--no-wait'], withToken())).code).toBe(75);
    const k2 = await ssmNow();
    expect(gitlabNow()).toBe(k2.secret);

    const back = await keyrot(['rollback', '--state', STATE, file], withToken());
    expect(back.code, back.stderr).toBe(0);
    expect(gitlabNow()).toBe(k1.secret);

    const resumed = await run(file, ['--resume-after-rollback', '--no-wait'], withToken());
    expect(resumed.code, resumed.stderr).toBe(75);
    expect(gitlabNow()).toBe(k2.secret);
    expect(keyrotOutput([back, resumed]).includes(k1.secret)).toBe(false);
  });

  it('a revoke holds without --yes when no terminal can ask; with --yes it replaces the leaked key in both, and GitLab keeps no copy of it', async () => {
    const file = plan();
    expect((await run(file, [], withToken())).code).toBe(0);
    const leaked = await ssmNow();

    const held = await keyrot(['revoke', '--state', STATE, '--key', leaked.id, file], withToken());
    expect(held.code).toBe(3);
    expect(output(held)).toContain('there is no terminal to ask and --yes was not given; nothing was done to it');
    expect(gitlabNow()).toBe(leaked.secret);
    expect(await keysOf(USER)).toEqual([{ id: leaked.id, status: 'Active' }]);

    const revoked = await keyrot(['revoke', '--yes', '--state', STATE, '--key', leaked.id, file], withToken());
    expect(revoked.code, revoked.stderr).toBe(0);
    const replacement = await ssmNow();
    expect(gitlabNow()).toBe(replacement.secret);
    expect(gitlab.variables(APP).some((v) => v.value.includes(leaked.secret))).toBe(false);
    expect(await keysOf(USER)).toContainEqual({ id: leaked.id, status: 'Inactive' });

    expireSoak(path.join(ws.dir, STATE), 'deploy');
    const deleted = await keyrot(['revoke', '--delete', '--yes', '--state', STATE, '--key', leaked.id, file], withToken());
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await keysOf(USER)).map((k) => k.id)).toEqual([replacement.id]);
    expect(gitlabNow()).toBe(replacement.secret);
  });
});

describe('bad input: a clear error, its exit code, and nothing lost', () => {
  async function issued(): Promise<{ id: string; secret: string }> {
    expect((await run(plan(), [], withToken())).code).toBe(0);
    return ssmNow();
  }

  it('a project that does not exist: exit 2, naming it; no key created', async () => {
    const k1 = await issued();
    const result = await run(plan({}, { project: 'acme/no-such-project' }), [], withToken());
    expect(result.code).toBe(2);
    expect(output(result)).toContain('project acme/no-such-project does not exist, or the token in GL_DEPLOY_TOKEN cannot see it');
    expect(await keysOf(USER)).toEqual([{ id: k1.id, status: 'Active' }]);
  });

  it('a token without the role: exit 4, naming the role and scope to grant; no key created', async () => {
    const k1 = await issued();
    const developer = gitlab.token({ scopes: ['api'], roles: { 'acme/deploy': 30 } });
    const result = await run(plan(), [], withToken(developer));
    expect(result.code).toBe(4);
    expect(output(result)).toContain('the token in GL_DEPLOY_TOKEN may not GET /api/v4/projects/acme%2Fdeploy/variables/AWS_SECRET_ACCESS_KEY');
    expect(output(result)).toContain('the Maintainer role on project acme/deploy and the scope api');
    expect(await keysOf(USER)).toEqual([{ id: k1.id, status: 'Active' }]);
    expect(gitlabNow()).toBe(k1.secret);
  });

  it('a 429 with GitLab\'s rate-limit headers on the write: exit 4 until the reset; the old key stays active, and a re-run finishes the rotation', async () => {
    const k1 = await issued();
    gitlab.fail(1, { kind: 'rate-limit', retryAfterSeconds: 3600 }, { operationId: 'putApiV4ProjectsIdVariablesKey' });
    const limited = await run(plan(), [], withToken());
    expect(limited.code).toBe(4);
    expect(output(limited)).toMatch(/GitLab's rate limit is used up until \d{4}-\d\d-\d\dT/);
    expect(gitlabNow()).toBe(k1.secret);
    expect(await keysOf(USER)).toContainEqual({ id: k1.id, status: 'Active' });

    const again = await run(plan(), [], withToken());
    expect(again.code, again.stderr).toBe(0);
    const k2 = await ssmNow();
    expect(gitlabNow()).toBe(k2.secret);
    expect(await keysOf(USER)).toEqual([{ id: k2.id, status: 'Active' }]);
  });

  it('a variable owned by someone else: exit 3, naming the owner; the variable and the keys untouched', async () => {
    gitlab.setVariable(APP, { key: KEY, value: 'their-own-secret-value', environment_scope: 'production', description: 'managed by keyrot: plan other, key K0, sha256:000000000000' });
    const result = await run(plan(), [], withToken());
    expect(result.code).toBe(3);
    expect(result.events.find((e) => e.type === 'held')?.message).toContain('holds a secret keyrot does not manage (it is managed by keyrot plan "other")');
    expect(await keysOf(USER)).toEqual([]);
    expect(gitlabNow()).toBe('their-own-secret-value');
  });

  it('validate refuses a GitLab target no other target could restore on a rollback, unless it says rollback: false', async () => {
    const only = (extra: Record<string, unknown>) => ws.plan('gl-only', { apiVersion: 'keyrot/v1', name: 'gl-only', source: { type: 'generated' }, publish: [{ ...gitlabTarget, ...extra }] });
    const refused = await keyrot(['validate', only({})], {});
    expect(refused.code).toBe(2);
    expect(output(refused)).toMatch(/publish\[0\]\.rollback\s+a rollback could not serve the old key here again: gitlab-ci keeps no older value/);
    expect((await keyrot(['validate', only({ rollback: false })], {})).code).toBe(0);
  });
});

describe('keyrot doctor on a gitlab-ci target', () => {
  const checks = (r: { stdout: string }) => doctorChecks(r.stdout, 'gitlab-ci');
  const doctor = (t: string) => keyrot(['doctor', '--output', 'json', '--state', STATE, plan()], withToken(t));

  it('a Maintainer token passes; least privilege says the scope and role to keep, as GitLab does not report them', async () => {
    const result = await doctor(token);
    expect(result.code, result.stderr).toBe(0);
    expect(checks(result)).toContainEqual(expect.objectContaining({ check: 'permissions', status: 'pass' }));
    expect(checks(result)).toContainEqual(expect.objectContaining({ check: 'least privilege', status: 'skip', detail: expect.stringContaining('a project access token of acme/deploy alone, role Maintainer, scope api') }));
  });

  it('a Developer\'s token fails (exit 4), naming the role to grant', async () => {
    const result = await doctor(gitlab.token({ scopes: ['api'], roles: { 'acme/deploy': 30 } }));
    expect(result.code).toBe(4);
    expect(checks(result)).toContainEqual(expect.objectContaining({ check: 'permissions', status: 'fail', hint: expect.stringContaining('the Maintainer role on project acme/deploy') }));
  });
});
