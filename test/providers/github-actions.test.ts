// github-actions against the GitHub test server, beyond the shared contract: an organization secret,
// GitHub's failures (a bad or missing token, a rate limit that resets soon, a create whose answer was
// lost) and what the store says about each. Secrets are compared as the server opened them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubActionsStoreSchema } from '../../src/providers/stores/github-actions/schema.js';
import { createGithubActionsStore } from '../../src/providers/stores/github-actions/store.js';
import { failure, newCredential } from '../contracts/secret-store.contract.js';
import { type GithubTestServer, startGithubServer } from '../peers/vendors/github.js';

let server: GithubTestServer;
let token: string;
const notes: string[] = [];
const context = () => ({ plan: 'ci', rotationId: 'r-1', rotatedAt: new Date() });

beforeAll(async () => {
  server = await startGithubServer();
  server.addRepository('acme/ci');
  server.addOrganization('acme');
  token = server.token({ kind: 'fine-grained', repositories: ['acme/ci'], organization: 'acme', permissions: { secrets: 'write', variables: 'write', organization_secrets: 'write', organization_variables: 'write' } });
});
afterAll(async () => {
  expect(server.violations).toEqual([]);
  await server.close();
});

function store(target: Record<string, unknown>, env: Record<string, string> = { GITHUB_TOKEN: token }) {
  const name = `KEY_${randomBytes(4).toString('hex').toUpperCase()}`;
  const config = githubActionsStoreSchema.parse({ type: 'github-actions', name, apiUrl: server.baseUrl, timeout: '1s', ...target });
  return { name, store: createGithubActionsStore(config, { planName: 'ci', planDir: '.', stateDir: '.', env, now: () => new Date(), note: (m) => notes.push(m) }) };
}

describe('github-actions', () => {
  it('an organization secret is sealed to the organization key, private unless the plan says otherwise', async () => {
    const { name, store: s } = store({ organization: 'acme', visibility: 'all' });
    const key = newCredential();
    await s.publish(key, context());
    expect(server.opened({ organization: 'acme' }, name)).toBe(key.secret);
    expect(JSON.parse(server.variable({ organization: 'acme' }, `KEYROT_${name}`)!)).toMatchObject({ keyId: key.keyId, plan: 'ci' });
  });

  it('a create of its record whose answer was lost is found on the retry (409) and updated', async () => {
    const { name, store: s } = store({ repository: 'acme/ci' });
    server.fail(1, { kind: 'stall-body' }, { operationId: 'actions/create-repo-variable' });
    const key = newCredential();
    await s.publish(key, context());
    expect(server.opened({ repository: 'acme/ci' }, name)).toBe(key.secret);
    expect(await s.writeOnly!.written()).toMatchObject({ keyId: key.keyId });
  });

  it('waits out a rate limit that resets within maxRetryWait, and says so', async () => {
    const { name, store: s } = store({ repository: 'acme/ci' });
    server.fail(1, { kind: 'rate-limit', retryAfterSeconds: 1 }, { operationId: 'actions/create-or-update-repo-secret' });
    await s.publish(newCredential(), context());
    expect(server.opened({ repository: 'acme/ci' }, name)).toBeDefined();
    expect(notes.join('\n')).toMatch(/answered 403; rate limited until/);
  });

  it('a refused token is a login failure (exit 4) naming its variable; a missing one says to set it', async () => {
    const bad = await failure(store({ repository: 'acme/ci' }, { GITHUB_TOKEN: 'ghp_not-a-token-at-all-000000000000000' }).store.ownership());
    expect([bad.code, bad.exitCode]).toEqual(['provider-auth-failed', 4]);
    expect(bad.message).toContain('GitHub refused the token in GITHUB_TOKEN (401: Bad credentials)');
    expect(bad.message.includes('ghp_not-a-token')).toBe(false);
    const missing = await failure(store({ repository: 'acme/ci', tokenEnv: 'NO_SUCH_TOKEN' }, {}).store.ownership());
    expect(missing.message).toContain('NO_SUCH_TOKEN is not set');
  });
});
