import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatadogTestServer, startDatadogServer } from './datadog.js';

let dd: DatadogTestServer;
beforeEach(async () => {
  dd = await startDatadogServer();
});
afterEach(async () => {
  expect(dd.violations).toEqual([]);
  await dd.close();
});

const headers = (apiKey: string, appKey?: string) => ({ 'dd-api-key': apiKey, ...(appKey ? { 'dd-application-key': appKey } : {}), 'content-type': 'application/json' });
const admin = () => headers(dd.admin.apiKey, dd.admin.appKey);
const create = (name: string) =>
  fetch(`${dd.baseUrl}/api/v2/api_keys`, { method: 'POST', headers: admin(), body: JSON.stringify({ data: { type: 'api_keys', attributes: { name } } }) });

describe('Datadog test server', () => {
  it('creates a key whose secret is in the create answer only, validates with it, lists, gets and deletes it', async () => {
    const created = await create('keyrot-payments');
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string; attributes: { key: string; last4: string; name: string } } };
    expect(data.attributes.key).toMatch(/^[0-9a-f]{32}$/);
    expect(data.attributes.last4).toBe(data.attributes.key.slice(-4));

    const validate = await fetch(`${dd.baseUrl}/api/v1/validate`, { headers: headers(data.attributes.key) });
    expect([validate.status, await validate.json()]).toEqual([200, { valid: true }]);

    const got = (await (await fetch(`${dd.baseUrl}/api/v2/api_keys/${data.id}`, { headers: admin() })).json()) as { data: { attributes: Record<string, unknown> } };
    expect(got.data.attributes).not.toHaveProperty('key');
    expect(got.data.attributes.date_last_used).toEqual(expect.any(String));

    const listed = (await (await fetch(`${dd.baseUrl}/api/v2/api_keys?filter=keyrot-`, { headers: admin() })).json()) as { data: { id: string }[] };
    expect(listed.data.map((k) => k.id)).toEqual([data.id]);

    expect((await fetch(`${dd.baseUrl}/api/v2/api_keys/${data.id}`, { method: 'DELETE', headers: admin() })).status).toBe(204);
    expect((await fetch(`${dd.baseUrl}/api/v1/validate`, { headers: headers(data.attributes.key) })).status).toBe(403);
    expect((await fetch(`${dd.baseUrl}/api/v2/api_keys/${data.id}`, { headers: admin() })).status).toBe(404);
  });

  it('pages with page[size] and page[number] in name order, and counts what the filter found', async () => {
    dd.seed(25, 'keyrot');
    const pages: string[][] = [];
    for (let number = 0; ; number++) {
      const answer = (await (await fetch(`${dd.baseUrl}/api/v2/api_keys?filter=keyrot&page[size]=10&page[number]=${number}`, { headers: admin() })).json()) as {
        data: { attributes: { name: string } }[];
        meta: { page: { total_filtered_count: number } };
      };
      expect(answer.meta.page.total_filtered_count).toBe(25);
      if (answer.data.length === 0) break;
      pages.push(answer.data.map((k) => k.attributes.name));
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => `keyrot-${String(i + 1).padStart(3, '0')}`));
  });

  it('refuses a missing or revoked application key and one without the permission with 403 Forbidden', async () => {
    const noAppKey = await fetch(`${dd.baseUrl}/api/v2/api_keys`, { headers: headers(dd.admin.apiKey) });
    expect([noAppKey.status, await noAppKey.json()]).toEqual([403, { errors: ['Forbidden'] }]);
    expect(dd.violations.map((v) => v.problems)).toEqual([[expect.stringMatching(/^no credential of the kinds/)]]);
    dd.violations.length = 0;

    dd.restrictAdmin(['api_keys_read']);
    expect((await fetch(`${dd.baseUrl}/api/v2/api_keys`, { headers: admin() })).status).toBe(200);
    expect((await create('denied')).status).toBe(403);
    dd.revokeAdmin();
    expect((await fetch(`${dd.baseUrl}/api/v2/api_keys`, { headers: admin() })).status).toBe(403);
  });

  it('answers 429 with X-RateLimit-Reset as the wait hint, or without it, then recovers', async () => {
    dd.fail(1, { kind: 'rate-limit', retryAfterSeconds: 7 });
    dd.fail(1, { kind: 'rate-limit' });
    const first = await create('a');
    expect([first.status, first.headers.get('x-ratelimit-reset'), first.headers.get('retry-after')]).toEqual([429, '7', null]);
    const second = await create('a');
    expect([second.status, second.headers.get('x-ratelimit-reset'), second.headers.get('x-ratelimit-period')]).toEqual([429, null, '60']);
    expect((await create('a')).status).toBe(201);
  });

  it('stops creating at the key limit, and refuses a name already taken', async () => {
    dd.config.maxKeys = 3;
    dd.seed(1, 'keyrot');
    expect((await create('keyrot-001')).status).toBe(400);
    expect((await create('keyrot-002')).status).toBe(201);
    expect((await create('too many')).status).toBe(400);
    expect(dd.keys()).toHaveLength(3);
  });
});
