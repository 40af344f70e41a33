import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CloudflareTestServer, startCloudflareServer } from './cloudflare.js';

let cf: CloudflareTestServer;
beforeEach(async () => {
  cf = await startCloudflareServer();
});
afterEach(async () => {
  expect(cf.violations).toEqual([]);
  await cf.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const admin = () => bearer(cf.admin.token);
const dnsPolicy = () => [{ effect: 'allow', resources: { 'com.cloudflare.api.account.zone.*': '*' }, permission_groups: [{ id: cf.permissionGroups['DNS Write'] }] }];
const create = (name: string) => fetch(`${cf.baseUrl}/user/tokens`, { method: 'POST', headers: admin(), body: JSON.stringify({ name, policies: dnsPolicy() }) });
type Token = { id: string; name: string; status: string; policies: unknown[]; value?: string; last_used_on?: string };

describe('Cloudflare test server', () => {
  it('creates a token (value in the create answer only), verifies it, disables and re-enables it with a full PUT, and deletes it', async () => {
    const created = await create('keyrot-dns');
    expect(created.status).toBe(200);
    const { result } = (await created.json()) as { result: Token };
    expect(result.value).toMatch(/^[\w-]{40}$/);
    expect(result.policies).toEqual([expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f]{32}$/) })]);

    const verify = async () => (await (await fetch(`${cf.baseUrl}/user/tokens/verify`, { headers: bearer(result.value!) })).json()) as { success: boolean; result: { status: string }; messages: { message: string }[] };
    expect(await verify()).toMatchObject({ success: true, result: { id: result.id, status: 'active' }, messages: [{ message: 'This API Token is valid and active' }] });

    const details = (await (await fetch(`${cf.baseUrl}/user/tokens/${result.id}`, { headers: admin() })).json()) as { result: Token };
    expect(details.result).not.toHaveProperty('value');
    expect(details.result.last_used_on).toEqual(expect.any(String));

    const put = (status: string) =>
      fetch(`${cf.baseUrl}/user/tokens/${result.id}`, { method: 'PUT', headers: admin(), body: JSON.stringify({ name: details.result.name, policies: details.result.policies, status }) });
    expect((await put('disabled')).status).toBe(200);
    expect((await verify()).result.status).toBe('disabled');
    expect((await put('active')).status).toBe(200);
    expect((await verify()).result.status).toBe('active');

    const deleted = await fetch(`${cf.baseUrl}/user/tokens/${result.id}`, { method: 'DELETE', headers: admin() });
    expect(await deleted.json()).toEqual({ success: true, errors: [], messages: [], result: { id: result.id } });
    const gone = await fetch(`${cf.baseUrl}/user/tokens/verify`, { headers: bearer(result.value!) });
    expect([gone.status, await gone.json()]).toEqual([401, { success: false, errors: [{ code: 1000, message: 'Invalid API Token' }], messages: [], result: null }]);
    expect((await fetch(`${cf.baseUrl}/user/tokens/${result.id}`, { headers: admin() })).status).toBe(404);
  });

  it('records a PUT that sends only the status, which the description does not allow', async () => {
    const { result } = (await (await create('keyrot-dns')).json()) as { result: Token };
    const answer = await fetch(`${cf.baseUrl}/user/tokens/${result.id}`, { method: 'PUT', headers: admin(), body: JSON.stringify({ status: 'disabled' }) });
    expect(answer.status).toBe(400);
    expect(cf.violations.map((v) => v.problems)).toEqual([[expect.stringMatching(/request body: .*must have required property 'name'.*must have required property 'policies'/)]]);
    expect(cf.tokens().find((t) => t.id === result.id)?.status).toBe('active');
    cf.violations.length = 0;
  });

  it('pages with page and per_page, counting in result_info', async () => {
    cf.seed(12);
    const names: string[] = [];
    for (let page = 1; ; page++) {
      const answer = (await (await fetch(`${cf.baseUrl}/user/tokens?page=${page}&per_page=5`, { headers: admin() })).json()) as {
        result: Token[];
        result_info: { page: number; per_page: number; count: number; total_count: number };
      };
      expect(answer.result_info).toEqual({ page, per_page: 5, count: answer.result.length, total_count: 13 });
      names.push(...answer.result.map((t) => t.name));
      if (page * 5 >= answer.result_info.total_count) break;
    }
    expect(names).toHaveLength(13);
    expect(new Set(names).size).toBe(13);
  });

  it('records a per_page above 50 and answers 400', async () => {
    expect((await fetch(`${cf.baseUrl}/user/tokens?per_page=100`, { headers: admin() })).status).toBe(400);
    expect(cf.violations.map((v) => v.problems)).toEqual([[expect.stringMatching(/^query parameter per_page=.*must be <= 50/)]]);
    cf.violations.length = 0;
  });

  it('refuses a token without API Tokens Write (9109), a revoked admin (1000), and a malformed header (6003)', async () => {
    cf.restrictAdmin(['API Tokens Read']);
    expect((await fetch(`${cf.baseUrl}/user/tokens`, { headers: admin() })).status).toBe(200);
    const denied = await create('x');
    expect([denied.status, ((await denied.json()) as { errors: { code: number }[] }).errors[0]!.code]).toEqual([403, 9109]);
    cf.revokeAdmin();
    expect((await fetch(`${cf.baseUrl}/user/tokens`, { headers: admin() })).status).toBe(401);
    const malformed = await fetch(`${cf.baseUrl}/user/tokens`, { headers: { authorization: 'Bearer short' } });
    expect([malformed.status, ((await malformed.json()) as { errors: { code: number }[] }).errors[0]!.code]).toEqual([400, 6003]);
  });

  it('answers 429 with Retry-After and Ratelimit, or with Ratelimit only; stops at 50 tokens', async () => {
    cf.fail(1, { kind: 'rate-limit', retryAfterSeconds: 12 });
    cf.fail(1, { kind: 'rate-limit' });
    const first = await create('a');
    expect([first.status, first.headers.get('retry-after'), first.headers.get('ratelimit')]).toEqual([429, '12', '"default";r=0;t=12']);
    const second = await create('a');
    expect([second.status, second.headers.get('retry-after')]).toEqual([429, null]);
    cf.seed(49 - cf.tokens().length);
    expect((await create('49th and 50th')).status).toBe(200);
    expect((await create('51st')).status).toBe(400);
  });
});
