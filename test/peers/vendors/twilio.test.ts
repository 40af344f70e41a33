import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTwilioServer, type TwilioTestServer } from './twilio.js';

let tw: TwilioTestServer;
beforeEach(async () => {
  tw = await startTwilioServer();
});
afterEach(async () => {
  expect(tw.violations).toEqual([]);
  await tw.close();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const asAccount = () => ({ authorization: basic(tw.admin.accountSid, tw.admin.authToken) });
const accountPath = () => `${tw.baseUrl}/2010-04-01/Accounts/${tw.admin.accountSid}`;
const create = (friendlyName: string, auth = asAccount()) =>
  fetch(`${accountPath()}/Keys.json`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ FriendlyName: friendlyName }) });

describe('Twilio test server', () => {
  it('creates a Standard key (secret in the create answer only) that works on the Balance but not on the Account or Keys', async () => {
    const created = await create('keyrot-sms');
    expect(created.status).toBe(201);
    const key = (await created.json()) as { sid: string; secret: string; friendly_name: string };
    expect(key.sid).toMatch(/^SK[0-9a-f]{32}$/);
    const withKey = { authorization: basic(key.sid, key.secret) };

    expect((await fetch(`${accountPath()}/Balance.json`, { headers: withKey })).status).toBe(200);
    const account = await fetch(`${accountPath()}.json`, { headers: withKey });
    expect([account.status, ((await account.json()) as { code: number }).code]).toEqual([401, 20003]);
    expect((await fetch(`${accountPath()}/Keys.json`, { headers: withKey })).status).toBe(401);

    const fetched = (await (await fetch(`${accountPath()}/Keys/${key.sid}.json`, { headers: asAccount() })).json()) as Record<string, unknown>;
    expect(fetched).toEqual({ sid: key.sid, friendly_name: 'keyrot-sms', date_created: expect.any(String), date_updated: expect.any(String) });

    expect((await fetch(`${accountPath()}/Keys/${key.sid}.json`, { method: 'DELETE', headers: asAccount() })).status).toBe(204);
    expect((await fetch(`${accountPath()}/Balance.json`, { headers: withKey })).status).toBe(401);
    const gone = await fetch(`${accountPath()}/Keys/${key.sid}.json`, { headers: asAccount() });
    expect([gone.status, ((await gone.json()) as { code: number }).code]).toEqual([404, 20404]);
  });

  it('pages by following next_page_uri, newest first, and lists the Main key too', async () => {
    tw.seed(7, 'keyrot');
    const auth = { authorization: basic(tw.admin.mainKey.sid, tw.admin.mainKey.secret) };
    const seen: string[] = [];
    let next: string | null = `/2010-04-01/Accounts/${tw.admin.accountSid}/Keys.json?PageSize=3`;
    let pages = 0;
    while (next) {
      const answer = (await (await fetch(`${tw.baseUrl}${next}`, { headers: auth })).json()) as { keys: { sid: string }[]; next_page_uri: string | null; page: number };
      expect(answer.page).toBe(pages);
      seen.push(...answer.keys.map((k) => k.sid));
      next = answer.next_page_uri;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(tw.keys().map((k) => k.sid));
    expect(new Set(seen).size).toBe(8);
  });

  it('answers a bad credential and a revoked admin with 401 20003 and WWW-Authenticate', async () => {
    const bad = await fetch(`${accountPath()}/Keys.json`, { headers: { authorization: basic(tw.admin.accountSid, 'wrong') } });
    expect([bad.status, bad.headers.get('www-authenticate')]).toEqual([401, 'Basic realm="Twilio API"']);
    tw.revokeAdmin();
    expect((await fetch(`${accountPath()}/Keys.json`, { headers: asAccount() })).status).toBe(401);
  });

  it('answers 429 (20429) with or without Retry-After, and 500', async () => {
    tw.fail(1, { kind: 'rate-limit' });
    tw.fail(1, { kind: 'rate-limit', retryAfterSeconds: 2 });
    tw.fail(1, { kind: 'server-error' });
    const first = await create('a');
    expect([first.status, first.headers.get('retry-after'), ((await first.json()) as { code: number }).code]).toEqual([429, null, 20429]);
    expect((await create('a')).headers.get('retry-after')).toBe('2');
    expect((await create('a')).status).toBe(500);
    expect((await create('a')).status).toBe(201);
  });

  it('records a JSON body where the description documents a form', async () => {
    const answer = await fetch(`${accountPath()}/Keys.json`, { method: 'POST', headers: { ...asAccount(), 'content-type': 'application/json' }, body: '{"FriendlyName":"x"}' });
    expect(answer.status).toBe(400);
    expect(tw.violations.map((v) => v.problems)).toEqual([[expect.stringMatching(/content type application\/json is not documented/)]]);
    tw.violations.length = 0;
  });
});
