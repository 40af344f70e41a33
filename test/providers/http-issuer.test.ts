// The http issuer against the Keyhub test server, through the README's plan: what a rotation needs,
// and every bad answer the issue lists, each a clear error naming the vendor, the call and what was
// expected, with the exit code a run would give, nothing lost, and no secret in any message.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import type { KeyIssuer } from '../../src/providers/types.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { issuerFrom, keyhubPlan } from '../helpers/http-issuer.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startKeyhub, type Keyhub } from '../peers/keyhub-server.js';

let hub: Keyhub;
let ws: Workspace;
beforeEach(async () => {
  hub = await startKeyhub();
  ws = workspace();
});
afterEach(async () => {
  await hub.close();
  ws.cleanup();
});

const settings = (extra: string) => (y: string) => y.replace('  auth: { type: bearer', `${extra}\n  auth: { type: bearer`);
const issuer = (edit?: (y: string) => string, env: NodeJS.ProcessEnv = { KEYHUB_ADMIN_TOKEN: hub.adminToken }, notes?: string[]) =>
  issuerFrom(keyhubPlan(ws, hub.url, edit), env, notes);

async function failure(work: Promise<unknown>): Promise<KeyrotError> {
  const e = await work.then(() => undefined, (error: unknown) => error);
  expect(e).toBeInstanceOf(KeyrotError);
  return e as KeyrotError;
}

/** No secret Keyhub ever minted, nor the admin token, appears in the error's text. */
const clean = (e: KeyrotError) => {
  const text = `${e.message}\n${e.hint}`;
  for (const value of [hub.adminToken, hub.readOnlyToken, ...hub.keys.map((k) => k.secret)]) expect(text.includes(value)).toBe(false);
  return text;
};

describe('the Keyhub plan', () => {
  it('creates, lists with the fingerprint, verifies, deactivates, reports last use and deletes', async () => {
    const keys = await issuer();
    const key = await keys.create();
    expect(hub.keys.map((k) => k.name)).toEqual([expect.stringMatching(/^keyrot-billing-keyhub-\d{8}T\d{6}Z$/)]);
    expect(await keys.list()).toEqual([expect.objectContaining({ id: key.keyId, status: 'active', fingerprint: fingerprint(key.secret) })]);
    await keys.verify(key);
    expect(hub.requests.at(-1)).toMatchObject({ path: '/api/v1/whoami', as: key.keyId });
    expect(await keys.lastUsed(key.keyId)).toMatchObject({ reported: true, at: expect.any(Date) });
    await keys.deactivate(key.keyId);
    expect((await keys.list())[0]!.status).toBe('inactive');
    await keys.reactivate(key.keyId);
    await keys.delete(key.keyId);
    expect(await keys.delete(key.keyId)).toBe('gone');
    expect(hub.keys).toEqual([]);
  });

  it('lists and touches only its own keys: others are neither counted nor deleted', async () => {
    hub.seed(3);
    const keys = await issuer();
    const key = await keys.create();
    expect((await keys.list()).map((k) => k.id)).toEqual([key.keyId]);
    await keys.create();
    await expect(keys.create()).rejects.toMatchObject({ code: 'key-limit', exitCode: 3 });
    expect(hub.keys.filter((k) => k.name.startsWith('someone-else'))).toHaveLength(3);
  });

  it('reads a list of 500 keys on 5 pages and finds its own on the last', async () => {
    hub.limit = 1000;
    hub.seed(498);
    const keys = await issuer();
    await keys.create();
    await keys.create();
    hub.requests = [];
    expect(await keys.list()).toHaveLength(2);
    expect(hub.requests.map((r) => r.path)).toEqual([1, 2, 3, 4, 5].map((p) => (p === 1 ? '/api/v1/service-keys?per_page=100' : `/api/v1/service-keys?page=${p}&per_page=100`)));
  });
});

describe('bad answers, each a clear error', () => {
  it('a JSON path that finds nothing: names the vendor, the call, the path and the answer\'s shape (exit 4)', async () => {
    const keys = await issuer((y) => y.replace('itemsPath: $.keys', 'itemsPath: $.items'));
    const e = await failure(keys.list());
    expect(e.exitCode).toBe(4);
    expect(clean(e)).toMatch(/^Keyhub: list \(GET \/api\/v1\/service-keys\) answered 200, but \$\.items is not a list of keys; the answer's shape: \{"keys": \[\], "next": null\}/);
    expect(e.hint).toContain('calls.list.itemsPath');
  });

  it('a create answer without the secret: the key it made is deleted again, nothing is left behind (exit 4)', async () => {
    hub.fault({ method: 'POST', path: '/api/v1/service-keys', edit: ({ secret: _secret, ...rest }) => rest, times: 1 });
    const keys = await issuer();
    const e = await failure(keys.create());
    expect(e.exitCode).toBe(4);
    expect(clean(e)).toMatch(/^Keyhub: create \(POST \/api\/v1\/service-keys\) answered 201, but no secret at \$\.secret \(key sk_\w+ it created was deleted again\); the answer's shape: \{"key": \{"id": string/);
    expect(hub.keys).toEqual([]);
  });

  it('401: the admin credential was refused, named by where it comes from (exit 4)', async () => {
    const keys = await issuer(undefined, { KEYHUB_ADMIN_TOKEN: 'wrong-token-0123456789' });
    const e = await failure(keys.list());
    expect(e).toMatchObject({ code: 'http-auth-failed', exitCode: 4 });
    clean(e);
    expect(e.message).toBe('Keyhub: list (GET /api/v1/service-keys) answered 401: the admin credential ($KEYHUB_ADMIN_TOKEN) was refused');
    expect(e.message).not.toContain('wrong-token');
  });

  it('403: the admin credential may not create keys (exit 4)', async () => {
    const keys = await issuer(undefined, { KEYHUB_ADMIN_TOKEN: hub.readOnlyToken });
    const e = await failure(keys.create());
    expect(e).toMatchObject({ code: 'http-denied', exitCode: 4 });
    expect(clean(e)).toMatch(/^Keyhub: create \(POST \/api\/v1\/service-keys\) answered 403/);
    expect(hub.keys).toEqual([]);
  });

  it('no admin credential at all: says which variable to set, before any call (exit 4)', async () => {
    const keys = await issuer(undefined, {});
    const e = await failure(keys.list());
    expect(e).toMatchObject({ code: 'http-credential-missing', exitCode: 4 });
    expect(e.hint).toMatch(/^export KEYHUB_ADMIN_TOKEN/);
    expect(hub.requests).toEqual([]);
  });

  it('429 with Retry-After: waits as asked, then the create goes through once', async () => {
    hub.fault({ method: 'POST', path: '/api/v1/service-keys', status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' }, times: 1 });
    const notes: string[] = [];
    const keys = await issuer(settings('  attempts: 2'), undefined, notes);
    const started = Date.now();
    await keys.create();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(hub.keys).toHaveLength(1);
    expect(notes).toEqual(['Keyhub: create answered 429; attempt 2 of 2']);
  });

  it('429 asking for longer than maxRetryWait gives up at once, saying how long it asked (exit 4)', async () => {
    hub.fault({ method: 'GET', path: '/api/v1/service-keys', status: 429, headers: { 'retry-after': '120' } });
    const keys = await issuer();
    const e = await failure(keys.list());
    expect(e).toMatchObject({ code: 'http-rate-limited', exitCode: 4 });
    expect(e.message).toMatch(/still rate limited \(429\) after 1 attempt over \d+ms; it asked to wait 2m, more than maxRetryWait \(1m\)$/);
  });

  it('429 without Retry-After: bounded backoff, then an error saying none was sent (exit 4)', async () => {
    hub.fault({ method: 'GET', path: '/api/v1/service-keys', status: 429 });
    const keys = await issuer(settings('  attempts: 2'));
    const e = await failure(keys.list());
    expect(e).toMatchObject({ code: 'http-rate-limited', exitCode: 4 });
    expect(e.message).toMatch(/after 2 attempts over .*; it sent no Retry-After$/);
    expect(hub.requests).toHaveLength(2);
  });

  it('a vendor that never answers, or stalls after its headers: bounded by the timeout (exit 4)', async () => {
    const keys = await issuer(settings('  timeout: 500ms\n  attempts: 2'));
    hub.fault({ method: 'GET', path: '/api/v1/service-keys', hang: 'before-headers', times: 2 });
    const silent = await failure(keys.list());
    expect(silent).toMatchObject({ code: 'http-no-answer', exitCode: 4 });
    expect(silent.message).toMatch(/^Keyhub: list \(GET \/api\/v1\/service-keys\) got no answer: no complete answer within 500 ms, 2 attempts/);
    hub.fault({ method: 'GET', path: '/api/v1/service-keys', hang: 'after-headers', times: 2 });
    const stalled = await failure(keys.list());
    expect(stalled.code).toBe('http-no-answer');
  });

  it('a create that may have reached the vendor is not sent again (a second key would be an orphan)', async () => {
    const keys = await issuer(settings('  timeout: 500ms\n  attempts: 3'));
    hub.fault({ method: 'POST', path: '/api/v1/service-keys', hang: 'before-headers', times: 1 });
    await failure(keys.create());
    expect(hub.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a list whose next link points back to a page already read is an error, not a loop (exit 4)', async () => {
    hub.fault({ method: 'GET', path: '/api/v1/service-keys', edit: (b) => ({ ...b, next: '/api/v1/service-keys?page=1&per_page=100' }) });
    const keys = await issuer();
    const e = await failure(keys.list());
    expect(e.message).toMatch(/but page 2 points back to a page already read/);
  });

  it('a 5xx on delete is retried, then the key is deleted', async () => {
    const keys = await issuer(settings('  attempts: 2'));
    const key = await keys.create();
    hub.fault({ method: 'DELETE', path: '/api/v1/service-keys', status: 503, times: 1 });
    await keys.delete(key.keyId);
    expect(hub.keys).toEqual([]);
  });

  it('a wrong secret does not verify (exit 3), and its value is in no message', async () => {
    const keys = await issuer(settings('  verifyTimeout: 1s'));
    const key = await keys.create();
    const e = await failure(keys.verify({ keyId: key.keyId, secret: `${key.secret}x` }));
    expect(e).toMatchObject({ code: 'verify-failed', exitCode: 3 });
    expect(clean(e)).toMatch(/Keyhub answered 401 to GET \/api\/v1\/whoami made with it/);
  });
});

describe('TLS', () => {
  it('trusts the plan\'s CA file besides the system\'s, and without it refuses the certificate (not retried)', async () => {
    const secure = await startKeyhub({ https: true });
    try {
      ws.write('keyhub-ca.pem', secure.ca!);
      const env = { KEYHUB_ADMIN_TOKEN: secure.adminToken };
      const trusted: KeyIssuer = await issuerFrom(keyhubPlan(ws, secure.url, (y) => y.replace('# tls: { caFile: keyhub-ca.pem }', 'tls: { caFile: keyhub-ca.pem }')), env);
      expect(await trusted.list()).toEqual([]);
      const untrusted = await issuerFrom(keyhubPlan(ws, secure.url), env);
      const e = await failure(untrusted.list());
      expect(e.message).toMatch(/got no answer: TLS: .*\(trust its CA with tls\.caFile\), 1 attempt/);
    } finally {
      await secure.close();
    }
  });
});
