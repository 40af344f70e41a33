// One IAM key (moto) rotated by the built binary into a GitHub environment secret (the GitHub test
// server, which opens every sealed box) and an SSM SecureString parameter (moto) at once; a rollback
// that must publish the old key to GitHub again from SSM; a revoke that removes the leaked key from both.
import path from 'node:path';
import { GetParameterCommand, GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, awsKit, TESTING } from '../helpers/aws-kit.js';
import { doctorChecks, expireSoak } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startMoto, type Moto } from '../peers/moto.js';
import { type GithubTestServer, type Scope, startGithubServer } from '../peers/vendors/github.js';
import { requireBuild } from '../helpers/cli.js';

const USER = 'deploy-bot';
const PARAM = '/deploy/aws';
const ENV_SCOPE: Scope = { repository: 'acme/deploy', environment: 'production' };

let moto: Moto;
let github: GithubTestServer;
let ws: Workspace;
let token: string;

beforeAll(async () => {
  requireBuild();
  [moto, github] = await Promise.all([startMoto(), startGithubServer()]);
  github.addRepository('acme/deploy', ['production']);
  token = github.token({ kind: 'fine-grained', repositories: ['acme/deploy'], permissions: { environments: 'write' } });
}, 300_000);
afterAll(async () => {
  expect(github.violations).toEqual([]);
  await Promise.all([moto?.stop(), github?.close()]);
});
beforeEach(async () => {
  await moto.reset();
  ws = workspace();
  await createUser(USER);
});
afterEach(() => ws.cleanup());

const { keyrot, run, keyrotOutput, createUser, keysOf, whoIs, STATE } = awsKit(() => ({ moto, ws }));
const withToken = (t = token) => ({ env: { GH_DEPLOY_TOKEN: t } });
const ssm = () => new SSMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: TESTING });

/** GitHub first on purpose: keyrot publishes to the readable target (SSM) before the write-only one. */
const plan = (extra: Record<string, unknown> = {}) =>
  ws.plan('deploy', {
    apiVersion: 'keyrot/v1',
    name: 'deploy',
    source: { type: 'aws-iam', user: USER, region: 'us-east-1', endpoint: moto.endpoint, verifyTimeout: '10s' },
    publish: [
      { type: 'github-actions', repository: 'acme/deploy', environment: 'production', name: 'AWS_SECRET_ACCESS_KEY', tokenEnv: 'GH_DEPLOY_TOKEN', apiUrl: github.baseUrl },
      { type: 'aws-ssm', region: 'us-east-1', name: PARAM, endpoint: moto.endpoint, kmsKeyId: 'alias/deploy', data: { id: '{{keyId}}', secret: '{{secret}}' } },
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
async function ssmHistory(): Promise<string[]> {
  const values: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await ssm().send(new GetParameterHistoryCommand({ Name: PARAM, WithDecryption: true, MaxResults: 50, NextToken }));
    values.push(...(out.Parameters ?? []).map((p) => p.Value!));
    NextToken = out.NextToken;
  } while (NextToken);
  return values;
}
const githubNow = () => github.opened(ENV_SCOPE, 'AWS_SECRET_ACCESS_KEY');

describe('an IAM key in a GitHub environment secret and an SSM parameter at once', () => {
  it('rotates both: GitHub holds (opened with its private key) the secret SSM holds, it authenticates, and no copy of the old key is left', async () => {
    const file = plan();
    const first = await run(file, [], withToken());
    expect(first.code, first.stderr).toBe(0);
    const k1 = await ssmNow();
    expect(githubNow()).toBe(k1.secret);

    const second = await run(file, [], withToken());
    expect(second.code, second.stderr).toBe(0);
    const k2 = await ssmNow();
    expect(k2.id).not.toBe(k1.id);
    expect(githubNow()).toBe(k2.secret);
    expect(await keysOf(USER)).toEqual([{ id: k2.id, status: 'Active' }]);
    expect(await whoIs(k2.id, k2.secret)).toBe(`arn:aws:iam::${ACCOUNT}:user/${USER}`);
    // SSM kept no version of the old key: the delete pushed them out of the history.
    expect((await ssmHistory()).some((v) => v.includes(k1.secret))).toBe(false);
    expect(JSON.parse(github.variable(ENV_SCOPE, 'KEYROT_AWS_SECRET_ACCESS_KEY')!)).toMatchObject({ keyId: k2.id, plan: 'deploy' });
    // What keyrot printed and stored names keys and fingerprints, never a secret.
    const shown = keyrotOutput([first, second]);
    for (const secret of [k1.secret, k2.secret]) expect(shown.includes(secret)).toBe(false);
    // A verify that could not read GitHub back says how it checked.
    expect(second.stdout).toMatch(/targets serve/);
  });

  it('plan says GitHub cannot be read back; a rollback publishes the old key to GitHub again from SSM, and resuming publishes the new one', async () => {
    const file = plan({ soak: '1h', drain: '0s', lastUsed: undefined }); // straight to the soak
    const preview = await keyrot(['plan', '--state', STATE, file], withToken());
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain('write-only: GitHub never returns a secret\'s value');

    expect((await run(file, [], withToken())).code).toBe(0);
    const k1 = await ssmNow();
    const soaking = await run(file, ['--no-wait'], withToken());
    expect(soaking.code, soaking.stderr).toBe(75);
    const k2 = await ssmNow();
    expect(githubNow()).toBe(k2.secret);

    const back = await keyrot(['rollback', '--state', STATE, file], withToken());
    expect(back.code, back.stderr).toBe(0);
    expect(githubNow()).toBe(k1.secret); // published again, read from SSM's keyrot-retired version
    expect((await ssmNow()).id).toBe(k2.id);

    const resumed = await run(file, ['--resume-after-rollback', '--no-wait'], withToken());
    expect(resumed.code, resumed.stderr).toBe(75);
    expect(githubNow()).toBe(k2.secret);
    expect(keyrotOutput([back, resumed]).includes(k1.secret)).toBe(false);
  });

  it('a revoke replaces the leaked key in both at once, and its --delete leaves no copy of it in either', async () => {
    const file = plan();
    expect((await run(file, [], withToken())).code).toBe(0);
    const leaked = await ssmNow();

    const revoked = await keyrot(['revoke', '--yes', '--state', STATE, '--key', leaked.id, file], withToken());
    expect(revoked.code, revoked.stderr).toBe(0);
    const replacement = await ssmNow();
    expect(replacement.id).not.toBe(leaked.id);
    expect(githubNow()).toBe(replacement.secret);
    expect(await keysOf(USER)).toContainEqual({ id: leaked.id, status: 'Inactive' });

    expireSoak(path.join(ws.dir, STATE), 'deploy');
    const deleted = await keyrot(['revoke', '--delete', '--yes', '--state', STATE, '--key', leaked.id, file], withToken());
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await ssmHistory()).some((v) => v.includes(leaked.secret))).toBe(false);
    expect(githubNow()).toBe(replacement.secret);
    expect((await keysOf(USER)).map((k) => k.id)).toEqual([replacement.id]);
  });
});

describe('bad input: a clear error, its exit code, and nothing lost', () => {
  const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
  async function issued(): Promise<{ id: string; secret: string }> {
    expect((await run(plan(), [], withToken())).code).toBe(0);
    return ssmNow();
  }
  const variant = (github: Record<string, unknown>, ssmTarget: Record<string, unknown> = {}) =>
    ws.plan('deploy', {
      apiVersion: 'keyrot/v1', name: 'deploy',
      source: { type: 'aws-iam', user: USER, region: 'us-east-1', endpoint: moto.endpoint, verifyTimeout: '10s' },
      publish: [
        { type: 'github-actions', repository: 'acme/deploy', environment: 'production', name: 'AWS_SECRET_ACCESS_KEY', tokenEnv: 'GH_DEPLOY_TOKEN', ...github },
        { type: 'aws-ssm', region: 'us-east-1', name: PARAM, endpoint: moto.endpoint, data: { id: '{{keyId}}', secret: '{{secret}}' }, ...ssmTarget },
      ],
      drain: '1s', soak: '1s',
    });

  it('a repository that does not exist: exit 2, naming it; no key created', async () => {
    const k1 = await issued();
    const result = await run(variant({ repository: 'acme/no-such-repo', apiUrl: github.baseUrl }), [], withToken());
    expect(result.code).toBe(2);
    expect(output(result)).toContain('environment production of acme/no-such-repo does not exist, or the token in GH_DEPLOY_TOKEN cannot see it');
    expect(await keysOf(USER)).toEqual([{ id: k1.id, status: 'Active' }]);
    expect(githubNow()).toBe(k1.secret);
  });

  it('a token without the permission: exit 4, naming what to grant; no key created', async () => {
    const k1 = await issued();
    const readOnly = github.token({ kind: 'fine-grained', repositories: ['acme/deploy'], permissions: { secrets: 'write', variables: 'write' } });
    const result = await run(plan(), [], withToken(readOnly));
    expect(result.code).toBe(4);
    expect(output(result)).toContain('the token in GH_DEPLOY_TOKEN may not GET /repos/acme/deploy/environments/production/secrets/AWS_SECRET_ACCESS_KEY');
    expect(output(result)).toContain('the repository permission Environments (write)');
    expect(await keysOf(USER)).toEqual([{ id: k1.id, status: 'Active' }]);
  });

  it('a 403 with GitHub\'s rate-limit headers on the write: exit 4 until the reset; SSM has the new key, the old one stays active, and a re-run finishes GitHub from SSM', async () => {
    const k1 = await issued();
    github.fail(1, { kind: 'rate-limit', retryAfterSeconds: 3600 }, { operationId: 'actions/create-or-update-environment-secret' });
    const limited = await run(plan(), [], withToken());
    expect(limited.code).toBe(4);
    expect(output(limited)).toMatch(/GitHub's rate limit is used up until \d{4}-\d\d-\d\dT/);
    expect(githubNow()).toBe(k1.secret);
    expect(await keysOf(USER)).toContainEqual({ id: k1.id, status: 'Active' });

    const again = await run(plan(), [], withToken());
    expect(again.code, again.stderr).toBe(0);
    const k2 = await ssmNow();
    expect(githubNow()).toBe(k2.secret);
    expect(output(again)).toContain(`recovered key ${k2.id}`);
    expect(await keysOf(USER)).toEqual([{ id: k2.id, status: 'Active' }]);
  });

  it('a parameter owned by someone else: exit 3, naming the owner; the parameter and the keys untouched', async () => {
    await run(ws.plan('other', { apiVersion: 'keyrot/v1', name: 'other', source: { type: 'generated' }, publish: [{ type: 'aws-ssm', region: 'us-east-1', name: PARAM, endpoint: moto.endpoint, value: '{{secret}}' }] }), []);
    const theirs = (await ssm().send(new GetParameterCommand({ Name: PARAM, WithDecryption: true }))).Parameter!;
    const result = await run(plan(), [], withToken());
    expect(result.code).toBe(3);
    expect(result.events.find((e) => e.type === 'held')?.message).toContain(`aws-ssm ${PARAM} (us-east-1) holds a secret keyrot does not manage (it is managed by keyrot plan "other")`);
    expect(await keysOf(USER)).toEqual([]);
    expect((await ssm().send(new GetParameterCommand({ Name: PARAM, WithDecryption: true }))).Parameter!.Version).toBe(theirs.Version);
  });

  it('validate refuses a GitHub target no other target could restore on a rollback, unless it says rollback: false', async () => {
    const only = (extra: Record<string, unknown>) => ws.plan('gh-only', {
      apiVersion: 'keyrot/v1', name: 'gh-only', source: { type: 'generated' },
      publish: [{ type: 'github-actions', repository: 'acme/deploy', name: 'API_KEY', ...extra }],
    });
    const refused = await keyrot(['validate', only({})], {});
    expect(refused.code).toBe(2);
    expect(output(refused)).toMatch(/publish\[0\]\.rollback\s+a rollback could not serve the old key here again: github-actions cannot be read back/);
    expect((await keyrot(['validate', only({ rollback: false })], {})).code).toBe(0);
  });
});

describe('keyrot doctor on a github-actions target', () => {
  const checks = (r: { stdout: string }) => doctorChecks(r.stdout, 'github-actions');
  const doctor = (t: string) => keyrot(['doctor', '--output', 'json', '--state', STATE, plan()], withToken(t));

  it('a classic token with more scopes than it needs passes with a warning naming them', async () => {
    const result = await doctor(github.token({ kind: 'classic', scopes: ['repo', 'delete_repo', 'workflow'] }));
    expect(result.code, result.stderr).toBe(0);
    expect(checks(result)).toContainEqual(expect.objectContaining({ check: 'least privilege', status: 'warn', detail: expect.stringContaining('also delete_repo, workflow') }));
  });

  it('a fine-grained token: least privilege is not checked (GitHub does not say), and says what to grant', async () => {
    const result = await doctor(token);
    expect(result.code, result.stderr).toBe(0);
    expect(checks(result)).toContainEqual(expect.objectContaining({ check: 'least privilege', status: 'skip', detail: expect.stringContaining('Environments: write') }));
    expect(checks(result)).toContainEqual(expect.objectContaining({ check: 'read back', detail: expect.stringContaining('write-only') }));
  });

  it('a token without the permission fails (exit 4), naming what to grant', async () => {
    const result = await doctor(github.token({ kind: 'fine-grained', repositories: ['acme/deploy'], permissions: { secrets: 'write' } }));
    expect(result.code).toBe(4);
    expect(checks(result)).toContainEqual(expect.objectContaining({ check: 'permissions', status: 'fail', hint: expect.stringContaining('Environments (write)') }));
  });
});
