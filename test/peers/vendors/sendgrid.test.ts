import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SendGridTestServer, startSendGridServer } from './sendgrid.js';

let sg: SendGridTestServer;
beforeEach(async () => {
  sg = await startSendGridServer();
});
afterEach(async () => {
  expect(sg.violations).toEqual([]);
  await sg.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
const create = (body: object, key = sg.admin.apiKey) => fetch(`${sg.baseUrl}/v3/api_keys`, { method: 'POST', headers: bearer(key), body: JSON.stringify(body) });

describe('SendGrid test server', () => {
  it('creates a key (SG.<id>.<secret>, in the create answer only) whose scopes prove it works, lists, gets and deletes it', async () => {
    const created = await create({ name: 'keyrot-mail', scopes: ['mail.send'] });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { api_key: string; api_key_id: string; scopes: string[] };
    expect(key.api_key.split('.')).toEqual(['SG', key.api_key_id, expect.stringMatching(/^[\w-]{43}$/)]);

    const scopes = await fetch(`${sg.baseUrl}/v3/scopes`, { headers: bearer(key.api_key) });
    expect([scopes.status, await scopes.json()]).toEqual([200, { scopes: ['mail.send'] }]);
    // A mail.send key cannot manage keys.
    expect((await fetch(`${sg.baseUrl}/v3/api_keys`, { headers: bearer(key.api_key) })).status).toBe(403);

    const listed = (await (await fetch(`${sg.baseUrl}/v3/api_keys`, { headers: bearer(sg.admin.apiKey) })).json()) as { result: { api_key_id: string; name: string }[] };
    expect(listed.result).toContainEqual({ api_key_id: key.api_key_id, name: 'keyrot-mail' });
    expect(JSON.stringify(listed)).not.toContain(key.api_key);

    const got = await (await fetch(`${sg.baseUrl}/v3/api_keys/${key.api_key_id}`, { headers: bearer(sg.admin.apiKey) })).json();
    expect(got).toEqual({ result: [{ api_key_id: key.api_key_id, name: 'keyrot-mail', scopes: ['mail.send'] }] });

    expect((await fetch(`${sg.baseUrl}/v3/api_keys/${key.api_key_id}`, { method: 'DELETE', headers: bearer(sg.admin.apiKey) })).status).toBe(204);
    const after = await fetch(`${sg.baseUrl}/v3/scopes`, { headers: bearer(key.api_key) });
    expect([after.status, await after.json()]).toEqual([401, { errors: [{ field: null, message: 'authorization required' }] }]);
    expect((await fetch(`${sg.baseUrl}/v3/api_keys/${key.api_key_id}`, { headers: bearer(sg.admin.apiKey) })).status).toBe(404);
  });

  it('lists with limit only, and keeps a deleted key working for the propagation delay', async () => {
    sg.seed(5);
    const limited = (await (await fetch(`${sg.baseUrl}/v3/api_keys?limit=2`, { headers: bearer(sg.admin.apiKey) })).json()) as { result: unknown[] };
    expect(limited.result).toHaveLength(2);
    const all = (await (await fetch(`${sg.baseUrl}/v3/api_keys`, { headers: bearer(sg.admin.apiKey) })).json()) as { result: unknown[] };
    expect(all.result).toHaveLength(6); // the admin key is listed too

    let now = 1_000_000;
    sg.config.now = () => now;
    sg.config.revokeDelayMs = 5_000;
    const [victim] = sg.seed(1, 'keyrot');
    await fetch(`${sg.baseUrl}/v3/api_keys/${victim!.id}`, { method: 'DELETE', headers: bearer(sg.admin.apiKey) });
    expect((await fetch(`${sg.baseUrl}/v3/scopes`, { headers: bearer(victim!.secret) })).status).toBe(200);
    now += 5_000;
    expect((await fetch(`${sg.baseUrl}/v3/scopes`, { headers: bearer(victim!.secret) })).status).toBe(401);
  });

  it('records an offset, which the description does not document, and answers 400', async () => {
    const answer = await fetch(`${sg.baseUrl}/v3/api_keys?limit=10&offset=10`, { headers: bearer(sg.admin.apiKey) });
    expect(answer.status).toBe(400);
    expect(sg.violations.map((v) => v.problems)).toEqual([['query parameter offset is not documented']]);
    sg.violations.length = 0;
  });

  it('refuses a key past 100 with 403, and an admin without api_keys.create or revoked', async () => {
    sg.seed(99);
    expect((await create({ name: 'one too many' })).status).toBe(403);
    sg.config.maxKeys = 1000;
    sg.restrictAdmin(['api_keys.read']);
    const denied = await create({ name: 'x' });
    expect([denied.status, await denied.json()]).toEqual([403, { errors: [{ field: null, message: 'access forbidden' }] }]);
    sg.revokeAdmin();
    expect((await fetch(`${sg.baseUrl}/v3/api_keys`, { headers: bearer(sg.admin.apiKey) })).status).toBe(401);
  });

  it('answers 429 with X-RateLimit-Reset as a Unix time, or without it', async () => {
    sg.config.now = () => 1_700_000_000_000;
    sg.fail(1, { kind: 'rate-limit', retryAfterSeconds: 30 });
    sg.fail(1, { kind: 'rate-limit' });
    const first = await create({ name: 'a' });
    expect([first.status, first.headers.get('x-ratelimit-reset'), first.headers.get('x-ratelimit-remaining')]).toEqual([429, '1700000030', '0']);
    const second = await create({ name: 'a' });
    expect([second.status, second.headers.get('x-ratelimit-reset')]).toEqual([429, null]);
  });
});
