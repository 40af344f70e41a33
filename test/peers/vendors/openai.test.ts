import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiServer } from './openai.js';

let oa: OpenAiTestServer;
beforeEach(async () => {
  oa = await startOpenAiServer();
});
afterEach(async () => {
  expect(oa.violations).toEqual([]);
  await oa.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
const project = () => `${oa.baseUrl}/organization/projects/${oa.admin.projectId}`;
const admin = () => bearer(oa.admin.apiKey);
const createAccount = (name: string) => fetch(`${project()}/service_accounts`, { method: 'POST', headers: admin(), body: JSON.stringify({ name }) });
type Created = { id: string; role: string; api_key: { id: string; value: string } | null };

describe('OpenAI test server', () => {
  it('creates a service account whose key (in the create answer only) lists models, reports its last use, and dies with the account', async () => {
    const created = await createAccount('keyrot-batch');
    expect(created.status).toBe(200);
    const account = (await created.json()) as Created;
    expect(account).toMatchObject({ role: 'member', api_key: { value: expect.stringMatching(/^sk-svcacct-/) } });
    const key = account.api_key!;

    const models = await fetch(`${oa.baseUrl}/models`, { headers: bearer(key.value) });
    expect(models.status).toBe(200);

    const listed = (await (await fetch(`${project()}/api_keys`, { headers: admin() })).json()) as { data: { id: string; last_used_at: number | null; owner: { service_account: { id: string } } }[] };
    expect(listed.data).toEqual([expect.objectContaining({ id: key.id, last_used_at: expect.any(Number), owner: expect.objectContaining({ service_account: expect.objectContaining({ id: account.id }) }) })]);
    expect(JSON.stringify(listed)).not.toContain(key.value);

    const deleteKey = await fetch(`${project()}/api_keys/${key.id}`, { method: 'DELETE', headers: admin() });
    expect(deleteKey.status).toBe(400);

    const deleted = await fetch(`${project()}/service_accounts/${account.id}`, { method: 'DELETE', headers: admin() });
    expect(await deleted.json()).toEqual({ object: 'organization.project.service_account.deleted', id: account.id, deleted: true });
    const refused = await fetch(`${oa.baseUrl}/models`, { headers: bearer(key.value) });
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect([refused.status, body.error.code]).toEqual([401, 'invalid_api_key']);
    expect(body.error.message).not.toContain(key.value);
  });

  it('adds a second key to an existing service account, and makes an account without a key on request', async () => {
    const account = (await (await createAccount('keyrot-two-keys')).json()) as Created;
    const second = await fetch(`${project()}/service_accounts/${account.id}/api_keys`, { method: 'POST', headers: admin(), body: JSON.stringify({ name: 'second' }) });
    expect(((await second.json()) as { value: string }).value).toMatch(/^sk-svcacct-/);
    expect(oa.keys().filter((k) => k.serviceAccountId === account.id)).toHaveLength(2);

    const bare = await fetch(`${project()}/service_accounts`, { method: 'POST', headers: admin(), body: JSON.stringify({ name: 'bare', create_service_account_only: true }) });
    expect(await bare.json()).toMatchObject({ role: 'none', api_key: null });
  });

  it('pages with limit and after until has_more is false', async () => {
    oa.seed(45, 'keyrot');
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const url: string = `${project()}/service_accounts?limit=20${after ? `&after=${after}` : ''}`;
      const answer = (await (await fetch(url, { headers: admin() })).json()) as { data: { id: string }[]; last_id: string | null; has_more: boolean };
      ids.push(...answer.data.map((a) => a.id));
      after = answer.has_more ? answer.last_id : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(ids).toEqual(oa.serviceAccounts().map((a) => a.id));
  });

  it('answers a revoked Admin key 401, a wrong project 404, and 429 with or without Retry-After', async () => {
    oa.fail(1, { kind: 'rate-limit', retryAfterSeconds: 3 });
    oa.fail(1, { kind: 'rate-limit' });
    const first = await createAccount('a');
    expect([first.status, first.headers.get('retry-after'), ((await first.json()) as { error: { code: string } }).error.code]).toEqual([429, '3', 'rate_limit_exceeded']);
    expect((await createAccount('a')).headers.get('retry-after')).toBeNull();
    expect((await fetch(`${oa.baseUrl}/organization/projects/proj_other/service_accounts`, { headers: admin() })).status).toBe(404);
    oa.revokeAdmin();
    expect((await fetch(`${project()}/service_accounts`, { headers: admin() })).status).toBe(401);
  });
});
