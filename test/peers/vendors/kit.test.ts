// The shared part of the vendor test servers, on the Datadog one: what it records, what it refuses to
// answer, and the faults a test can ask for.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatadogTestServer, startDatadogServer } from './datadog.js';

let dd: DatadogTestServer;
beforeEach(async () => {
  dd = await startDatadogServer();
});
afterEach(async () => {
  await dd.close();
});

const admin = () => ({ 'dd-api-key': dd.admin.apiKey, 'dd-application-key': dd.admin.appKey, 'content-type': 'application/json' });
const create = (name: string, signal?: AbortSignal) =>
  fetch(`${dd.baseUrl}/api/v2/api_keys`, { method: 'POST', headers: admin(), body: JSON.stringify({ data: { type: 'api_keys', attributes: { name } } }), signal });

describe('vendor test server kit', () => {
  it('records a request to a path the description does not have, and answers the vendor 404', async () => {
    const answer = await fetch(`${dd.baseUrl}/api/v2/api_keys/x/rotate`, { method: 'POST', headers: admin() });
    expect([answer.status, await answer.json()]).toEqual([404, { errors: ['Not found'] }]);
    expect(dd.violations).toEqual([{ method: 'POST', path: '/api/v2/api_keys/x/rotate', problems: expect.arrayContaining([expect.stringMatching(/no documented path matches/)]) }]);
    expect(dd.requests).toEqual([{ method: 'POST', path: '/api/v2/api_keys/x/rotate', status: 404 }]);
  });

  it('never sends an answer that breaks the description: it answers 500, keeps the reason, and close() throws it', async () => {
    dd.replaceHandler('ListAPIKeys', () => ({ status: 200, body: { data: [{ type: 'api_keys', attributes: { last4: 'toolong' } }] } }));
    const answer = await fetch(`${dd.baseUrl}/api/v2/api_keys`, { headers: admin() });
    expect(answer.status).toBe(500);
    expect(dd.answerErrors).toEqual([expect.stringMatching(/^Datadog ListAPIKeys answered 200: 200 body: \/data\/0\/attributes\/last4 must NOT have more than 4 characters/)]);
    await expect(dd.close()).rejects.toThrow(/answers its description does not allow/);
    dd = await startDatadogServer(); // for afterEach
  });

  it('stalls a call without letting it take effect', async () => {
    dd.fail(1, { kind: 'stall' });
    await expect(create('never', AbortSignal.timeout(300))).rejects.toThrow(/timeout|aborted/i);
    expect(dd.keys().map((k) => k.name)).not.toContain('never');
    expect((await create('next')).status).toBe(201);
  });

  it('lets a stalled-body call take effect: the status and headers arrive, the body (and its secret) never does', async () => {
    dd.fail(1, { kind: 'stall-body' }, { operationId: 'CreateAPIKey' });
    const answer = await create('orphan', AbortSignal.timeout(500));
    expect(answer.status).toBe(201);
    await expect(answer.text()).rejects.toThrow(/timeout|aborted/i);
    expect(dd.keys().map((k) => k.name)).toContain('orphan');
  });

  it('applies a fault to the operation it names only, and to as many calls as asked', async () => {
    dd.fail(2, { kind: 'server-error', status: 503 }, { operationId: 'DeleteAPIKey' });
    expect((await create('a')).status).toBe(201);
    const [victim] = dd.seed(1);
    const remove = () => fetch(`${dd.baseUrl}/api/v2/api_keys/${victim!.id}`, { method: 'DELETE', headers: admin() });
    expect([(await remove()).status, (await remove()).status, (await remove()).status]).toEqual([503, 503, 204]);
    expect(dd.violations).toEqual([]);
  });
});
