// gitlab-ci against the GitLab test server, beyond the shared contract: what the plan may say (the masked
// rule, scopes, http), GitLab's failures as the store words them (a refused or missing token, a role or
// scope short of what it needs, a project that does not exist, a rate limit), a create whose answer was
// lost, and another writer's create between keyrot's read and write. Secrets are compared by fingerprint.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitlabCiStoreSchema } from '../../src/providers/stores/gitlab-ci/schema.js';
import { createGitlabCiStore } from '../../src/providers/stores/gitlab-ci/store.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { failure, newCredential } from '../contracts/secret-store.contract.js';
import { type GitlabTestServer, type Owner, startGitlabServer } from '../peers/vendors/gitlab.js';

let server: GitlabTestServer;
let token: string;
const notes: string[] = [];
const context = () => ({ plan: 'ci', rotationId: 'r-1', rotatedAt: new Date() });
const APP: Owner = { project: 'acme/app' };

beforeAll(async () => {
  server = await startGitlabServer();
  server.addProject('acme/app');
  server.addGroup('acme');
  token = server.token({ scopes: ['api'], roles: { 'acme/app': 40, acme: 50 } });
});
afterAll(async () => {
  expect(server.violations).toEqual([]);
  await server.close();
});

function store(target: Record<string, unknown> = {}, env: Record<string, string> = { GITLAB_TOKEN: token }) {
  const key = `KEY_${randomBytes(4).toString('hex').toUpperCase()}`;
  const config = gitlabCiStoreSchema.parse({ type: 'gitlab-ci', project: 'acme/app', key, value: '{{secret}}', url: server.baseUrl, timeout: '1s', ...target });
  return { key, store: createGitlabCiStore(config, { planName: 'ci', planDir: '.', stateDir: '.', env, now: () => new Date(), note: (m) => notes.push(m) }) };
}
const held = (key: string, owner = APP) => server.variables(owner).filter((v) => v.key === key);

describe('gitlab-ci: what a plan may say', () => {
  const problems = (fields: Record<string, unknown>) =>
    gitlabCiStoreSchema.safeParse({ type: 'gitlab-ci', project: 'acme/app', key: 'API_KEY', value: '{{secret}}', ...fields }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

  it('refuses what GitLab could not mask, a group with an environment scope, and a token sent in clear to another host', () => {
    expect(problems({ data: { key: '{{secret}}' }, value: undefined })).toEqual(['masked: GitLab cannot mask a JSON value (braces, quotes): use `value`, or set masked: false']);
    expect(problems({ value: 'Bearer {{secret}}' })).toEqual([expect.stringMatching(/^value: GitLab cannot mask this value/)]);
    expect(problems({ value: 'Bearer {{secret}}', masked: false })).toEqual([]);
    expect(problems({ project: undefined, group: 'acme', environmentScope: 'production' })).toEqual(['environmentScope: environmentScope is for project variables: a group variable is managed with scope * only']);
    expect(problems({ url: 'http://gitlab.internal' })).toEqual([expect.stringMatching(/^url: http:\/\/ only for a loopback address/)]);
    expect(problems({ url: 'http://127.0.0.1:8080' })).toEqual([]);
  });
});

describe('gitlab-ci', () => {
  it('writes the plan\'s flags and its record, leaves another environment scope of the key alone, and accepts a Bearer token', async () => {
    const { key, store: s } = store({ environmentScope: 'production', tokenHeader: 'bearer', protected: false });
    server.setVariable(APP, { key, value: 'someone-elses-value', environment_scope: '*' });
    const credential = newCredential();
    await s.publish(credential, context());
    const production = held(key).find((v) => v.environment_scope === 'production')!;
    expect(fingerprint(production.value)).toBe(fingerprint(credential.secret));
    expect(production).toMatchObject({ masked: true, protected: false, raw: true, description: `managed by keyrot: plan ci, key ${credential.keyId}, ${fingerprint(credential.secret)}` });
    expect(held(key).find((v) => v.environment_scope === '*')?.value).toBe('someone-elses-value');
  });

  it('refuses a value GitLab could not mask before sending anything, and says why without showing it', async () => {
    const { key, store: s } = store();
    const bad = await failure(s.publish({ keyId: 'K1', secret: 'with a space inside' }, context()));
    expect([bad.code, bad.exitCode]).toEqual(['store-value-unmaskable', 2]);
    expect(bad.message).toContain('it holds a character GitLab cannot mask');
    expect(bad.message.includes('with a space')).toBe(false);
    expect((await failure(s.publish({ keyId: 'K1', secret: 'short' }, context()))).message).toContain('it is 5 characters long; GitLab masks values of 8 or more');
    expect(held(key)).toEqual([]);
  });

  it('a create whose answer was cut short is read back: it took effect', async () => {
    const { key, store: s } = store();
    server.fail(1, { kind: 'stall-body' }, { operationId: 'postApiV4ProjectsIdVariables' });
    const credential = newCredential();
    await s.publish(credential, context());
    expect(held(key)).toHaveLength(1);
    expect(await s.readBack()).toMatchObject({ keyId: credential.keyId });
  });

  it('a retried create that finds the key taken accepts it when it holds exactly what keyrot wrote (the first try took effect)', async () => {
    const { key, store: s } = store();
    const create = server.replaceHandler('postApiV4ProjectsIdVariables', (call) => {
      create(call); // the first attempt, whose answer never came back
      return { status: 400, body: { message: { key: [`(${key}) has already been taken`] } } };
    });
    try {
      const credential = newCredential();
      await s.publish(credential, context());
      expect(await s.readBack()).toMatchObject({ keyId: credential.keyId });
    } finally {
      server.replaceHandler('postApiV4ProjectsIdVariables', create);
    }
  });

  it('another writer\'s create between keyrot\'s read and its write is a conflict (exit 3), and theirs stays', async () => {
    const { key, store: s } = store();
    const create = server.replaceHandler('postApiV4ProjectsIdVariables', (call) => {
      server.setVariable(APP, { key, value: 'created-by-someone-else' });
      return create(call);
    });
    try {
      const conflict = await failure(s.publish(newCredential(), context()));
      expect([conflict.code, conflict.exitCode]).toEqual(['store-conflict', 3]);
      expect(held(key).map((v) => v.value)).toEqual(['created-by-someone-else']);
    } finally {
      server.replaceHandler('postApiV4ProjectsIdVariables', create);
    }
  });
});

describe('gitlab-ci: GitLab\'s failures, as the store words them', () => {
  it('a refused token is a login failure (exit 4) naming its variable; a missing one says to set it', async () => {
    const bad = await failure(store({}, { GITLAB_TOKEN: 'glpat-not-a-token-000000' }).store.ownership());
    expect([bad.code, bad.exitCode]).toEqual(['provider-auth-failed', 4]);
    expect(bad.message).toContain('GitLab refused the token in GITLAB_TOKEN (401: 401 Unauthorized)');
    expect(bad.message.includes('glpat-not-a-token')).toBe(false);
    expect((await failure(store({ tokenEnv: 'NO_SUCH_TOKEN' }, {}).store.ownership())).message).toContain('NO_SUCH_TOKEN is not set');
  });

  it('a project that does not exist (or the token cannot see) is exit 2, naming the plan field', async () => {
    const missing = await failure(store({ project: 'acme/no-such-project' }).store.ownership());
    expect([missing.code, missing.exitCode]).toEqual(['store-target-missing', 2]);
    expect(missing.message).toContain('GitLab answered 404 to GET /api/v4/projects/acme%2Fno-such-project/variables/');
    expect(missing.message).toContain('project acme/no-such-project does not exist, or the token in GITLAB_TOKEN cannot see it');
  });

  it('a Developer, or a read_api token on a write, is denied (exit 4), naming the role and the scope to grant', async () => {
    const developer = server.token({ scopes: ['api'], roles: { 'acme/app': 30 } });
    const denied = await failure(store({}, { GITLAB_TOKEN: developer }).store.ownership());
    expect([denied.code, denied.exitCode]).toEqual(['store-denied', 4]);
    expect(denied.message).toContain('(GitLab answered 403: 403 Forbidden)');
    expect(denied.hint).toContain('the Maintainer role on project acme/app and the scope api');

    const readOnly = server.token({ scopes: ['read_api'], roles: { 'acme/app': 40 } });
    const { key, store: s } = store({}, { GITLAB_TOKEN: readOnly });
    const scope = await failure(s.publish(newCredential(), context()));
    expect(scope.code).toBe('store-denied');
    expect(scope.message).toMatch(/may not POST \/api\/v4\/projects\/acme%2Fapp\/variables \(GitLab answered 403: insufficient_scope/);
    expect(held(key)).toEqual([]);
  });

  it('waits out a rate limit that resets within maxRetryWait; one that does not is exit 4 with the reset time', async () => {
    const { key, store: s } = store();
    server.fail(1, { kind: 'rate-limit', retryAfterSeconds: 1 }, { operationId: 'postApiV4ProjectsIdVariables' });
    await s.publish(newCredential(), context());
    expect(held(key)).toHaveLength(1);
    expect(notes.join('\n')).toMatch(/answered 429; rate limited until/);

    server.fail(1, { kind: 'rate-limit', retryAfterSeconds: 3600 }, { operationId: 'getApiV4ProjectsIdVariablesKey' });
    const limited = await failure(s.readBack());
    expect([limited.code, limited.exitCode]).toEqual(['store-rate-limited', 4]);
    expect(limited.message).toMatch(/GitLab's rate limit is used up until \d{4}-\d\d-\d\dT/);
  });
});
