// The azure-keyvault store as a user meets it: what it writes, how it retires a key, and what it says
// when Key Vault refuses. Against the Key Vault test server; secrets are compared by fingerprint only.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CredentialUnavailableError } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { planJsonSchema, planSchema } from '../../src/plan/schema.js';
import { connect, latestDisabled } from '../../src/providers/stores/azure-keyvault/client.js';
import { innerCode, toKeyrotError } from '../../src/providers/stores/azure-keyvault/errors.js';
import { azureKeyVaultStoreSchema } from '../../src/providers/stores/azure-keyvault/schema.js';
import { createAzureKeyVaultStore } from '../../src/providers/stores/azure-keyvault/store.js';
import type { SecretStore } from '../../src/providers/types.js';
import { failure, newCredential, shown } from '../contracts/secret-store.contract.js';
import { type KeyVaultTestServer, startKeyVaultServer } from '../peers/azure-keyvault-server.js';
import { freePort } from '../peers/free-port.js';

let server: KeyVaultTestServer;
let dir: string;
beforeAll(async () => {
  server = await startKeyVaultServer();
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-kv-'));
  writeFileSync(path.join(dir, 'ca.pem'), server.ca);
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => vi.unstubAllEnvs());

const context = () => ({ plan: 'payments', rotationId: `r-${randomBytes(3).toString('hex')}`, rotatedAt: new Date('2026-11-01T10:00:00Z') });
const tokenCredential = (token: string) => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) });

/** Key Vault's backoff, shortened: the same attempts, in milliseconds instead of seconds. */
const FAST = { attempts: 6, firstDelayMs: 5, maxDelayMs: 40 };

function storeFor(plan: Record<string, unknown> = {}, opts: { token?: string | null; notes?: string[] } = {}) {
  const name = (plan.name as string | undefined) ?? `payments-${randomBytes(5).toString('hex')}`;
  const config = azureKeyVaultStoreSchema.parse({
    type: 'azure-keyvault', vaultUrl: server.vaultUrl, name, disableChallengeResourceVerification: true, tls: { caFile: 'ca.pem' }, ...plan,
  });
  const ctx = { planName: 'payments', planDir: dir, stateDir: dir, env: process.env, now: () => new Date(), note: (m: string) => opts.notes?.push(m) };
  const store = createAzureKeyVaultStore(config, ctx, { backoff: FAST, ...(opts.token === null ? {} : { credential: tokenCredential(opts.token ?? server.token) }) });
  return { name, store, config, ctx };
}

/** Everything a user could see of a failure: message and hint. */
const said = (e: KeyrotError) => `${e.message}\n${e.hint}`;

describe('azure-keyvault store on the Key Vault test server', () => {
  it('writes one tagged version per key, with content type, tags and expiry from the plan', async () => {
    const { name, store } = storeFor({ value: 'Bearer {{secret}}', contentType: 'text/plain', tags: { keyId: '{{keyId}}', team: 'payments' }, expiresIn: '30d' });
    const [oldKey, newKey] = [newCredential(), newCredential()];
    await store.publish(oldKey, context());
    await store.publish(newKey, context());
    await store.publish(newKey, context()); // idempotent: no third version

    const versions = server.versions(name);
    expect(versions).toHaveLength(2);
    const latest = versions[1]!;
    expect(latest.tags).toEqual({ keyId: newKey.keyId, team: 'payments', 'managed-by': 'keyrot', 'keyrot-plan': 'payments', 'keyrot-key-id': newKey.keyId });
    expect(latest.contentType).toBe('text/plain');
    expect(latest.exp).toBe(Date.parse('2026-12-01T10:00:00Z') / 1000);
    expect(latest.value === `Bearer ${newKey.secret}`).toBe(true);
    expect(shown(await store.readBack())).toBe(shown(newKey));
  });

  it('disables the old key on deactivate, enables it on rollback, and leaves it disabled on delete', async () => {
    const { name, store } = storeFor();
    const [oldKey, newKey] = [newCredential(), newCredential()];
    await store.publish(oldKey, context());
    await store.publish(newKey, context());
    const enabled = () => server.versions(name).map((v) => v.enabled);

    await store.onDeactivate(oldKey.keyId);
    expect(enabled()).toEqual([false, true]);
    await store.onReactivate(oldKey.keyId);
    expect(enabled()).toEqual([true, true]);
    await store.onDeactivate(oldKey.keyId);
    await store.onDelete(oldKey.keyId);
    expect(enabled()).toEqual([false, true]);
    expect(shown(await store.readBack())).toBe(shown(newKey));
  });

  it('revoking the key consumers still read leaves nothing served, and the next publish serves again', async () => {
    const { store } = storeFor();
    const leaked = newCredential();
    await store.publish(leaked, context());
    await store.onDeactivate(leaked.keyId); // the latest version is disabled: Key Vault refuses it to everyone
    expect(shown(await store.readBack())).toBe('nothing');
    expect(await store.ownership()).toMatchObject({ state: 'managed', keyId: leaked.keyId });
    const replacement = newCredential();
    await store.publish(replacement, context());
    expect(shown(await store.readBack())).toBe(shown(replacement));
  });

  it('retires the version it adopted: that one held the old key', async () => {
    const { name, store: managed } = storeFor();
    server.put(name, randomBytes(20).toString('hex'));
    const { store } = storeFor({ name, adopt: true });
    await store.publish(newCredential(), context());
    await managed.onDeactivate('AKIAOLDKEYOFUNKNOWNID');
    expect(server.versions(name).map((v) => v.enabled)).toEqual([false, true]);
  });

  it('pins API version 7.6 and answers the bearer challenge before sending any secret', async () => {
    const { name, store } = storeFor();
    const before = server.requests.length;
    await store.publish(newCredential(), context());
    const seen = server.requests.slice(before).filter((r) => r.path.includes(name));
    expect(new Set(seen.map((r) => r.apiVersion))).toEqual(new Set(['7.6']));
    expect(seen[0]?.authorized).toBe(false); // the challenge request: the SDK sends no body with it
    expect(seen.filter((r) => r.method === 'PUT' && r.authorized)).toHaveLength(1);
  });

  it('signs in with DefaultAzureCredential (managed identity endpoint) when no credential is injected', async () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AZURE_') || key.startsWith('IDENTITY_') || key.startsWith('MSI_')) vi.stubEnv(key, undefined);
    for (const [key, value] of Object.entries(server.identityEnv)) vi.stubEnv(key, value);
    const { store } = storeFor({}, { token: null });
    const key = newCredential();
    await store.publish(key, context());
    expect(shown(await store.readBack())).toBe(shown(key));
  });

  it('trusts the vault certificate through tls.caFile only: without it the TLS failure is explained', async () => {
    const { store } = storeFor({ tls: undefined });
    const e = await failure(store.ownership());
    expect(e.code).toBe('provider-failed');
    expect(e.message).toMatch(/TLS connection .* failed .*tls\.caFile/);
  });

  it('names the permission and role when Key Vault refuses, without the secret', async () => {
    const { store } = storeFor({}, { token: server.createToken(['get', 'list']) });
    const key = newCredential();
    const e = await failure(store.publish(key, context()));
    expect(e.code).toBe('azure-denied');
    expect(said(e)).toContain('Microsoft.KeyVault/vaults/secrets/setSecret/action');
    expect(said(e)).toContain('Key Vault Secrets Officer');
    expect(said(e)).toMatch(/for appid=keyrot-test;oid=/);
    expect(said(e).includes(key.secret)).toBe(false);
    expect(e.exitCode).toBe(4);
  });

  it('reports a soft-deleted secret of the same name before a key is created, with the commands that fix it', async () => {
    const { name, store } = storeFor();
    await store.publish(newCredential(), context());
    server.softDelete(name);
    const e = await failure(store.ownership());
    expect(e.code).toBe('secret-soft-deleted');
    expect(e.hint).toContain(`az keyvault secret recover --vault-name 127 --name ${name}`);
    expect(e.hint).toContain('az keyvault secret purge');
    expect((await failure(store.publish(newCredential(), context()))).code).toBe('secret-soft-deleted');
  });

  it('retries a throttling burst without Retry-After itself (the SDK would not), and says how long it tried when it never stops', async () => {
    const notes: string[] = [];
    const { name, store } = storeFor({}, { notes });
    const key = newCredential();
    await store.ownership(); // the challenge is done: every request from here on carries a token
    const before = server.requests.length;
    server.throttle(3); // no Retry-After, as Key Vault usually answers
    await store.publish(key, context());
    expect(shown(await store.readBack())).toBe(shown(key));
    const seen = server.requests.slice(before).filter((r) => r.path.includes(name));
    expect(seen.slice(0, 3).map((r) => r.status)).toEqual([429, 429, 429]);
    expect(notes.filter((n) => /throttled \(HTTP 429\), retrying \(attempt [234] of 6\)/.test(n))).toHaveLength(3);

    server.throttle(50);
    const e = await failure(store.readBack());
    server.throttle(0);
    expect(e.code).toBe('provider-failed');
    expect(e.message).toMatch(/throttled by Key Vault \(HTTP 429\) on all 6 attempts over \d+ms, backing off exponentially with jitter; Key Vault sent no Retry-After/);
    expect(e.exitCode).toBe(4);
  });

  it('waits at least the Retry-After Key Vault sends, and does not wait one longer than a minute', async () => {
    const { store } = storeFor();
    const key = newCredential();
    await store.publish(key, context());
    server.throttle(2, { ms: 150 });
    const started = Date.now();
    expect(shown(await store.readBack())).toBe(shown(key));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // the backoff alone is 5-40ms

    server.throttle(1, { seconds: 120 });
    const e = await failure(store.readBack());
    server.throttle(0);
    expect(e.message).toContain('throttled by Key Vault (HTTP 429), which asked to wait 2m: longer than keyrot waits');
  });

  it('throttled while listing versions (the SDK says only "Pagination failed"), it still retries', async () => {
    const { name, store } = storeFor();
    const [oldKey, newKey] = [newCredential(), newCredential()];
    await store.publish(oldKey, context());
    await store.publish(newKey, context());
    server.throttle(2);
    await store.onDeactivate(oldKey.keyId); // lists the versions first
    expect(server.versions(name).map((v) => v.enabled)).toEqual([false, true]);
  });

  it('gives up on a vault that does not answer after the plan\'s timeout', async () => {
    const { store } = storeFor({ timeout: '300ms' });
    await store.ownership(); // challenge done: the next request carries a token
    server.stall(1);
    const e = await failure(store.readBack());
    expect(e.code).toBe('provider-timeout');
    expect(e.message).toContain('within 300ms');
  });

  it('explains each operation as the REST call it makes', () => {
    const { name, store } = storeFor() as { name: string; store: SecretStore };
    expect(store.explain('publish')).toContain(`PUT ${server.vaultUrl}/secrets/${name}`);
    expect(store.explain('onDelete')).toContain('cannot delete one version');
  });
});

describe('azure-keyvault plan fields', () => {
  const parse = (fields: Record<string, unknown>) =>
    azureKeyVaultStoreSchema.safeParse({ type: 'azure-keyvault', vaultUrl: 'https://payments-kv.vault.azure.net', name: 'payments', ...fields });
  const problems = (fields: Record<string, unknown>) => (parse(fields).error?.issues ?? []).map((i) => i.message).join('\n');

  it('refuses purgeOldVersions: true and says why', () => {
    expect(problems({ purgeOldVersions: true })).toContain('Key Vault cannot delete one version');
  });

  it('refuses {{secret}} in a tag, keyrot\'s own tag names, and more tags than Azure allows', () => {
    expect(problems({ tags: { leak: '{{secret}}' } })).toContain('{{secret}} is not allowed in a tag');
    expect(problems({ tags: { 'managed-by': 'me' } })).toContain("keyrot's own");
    expect(problems({ tags: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, 'x'])) })).toContain('at most 11 tags');
  });

  it('needs {{secret}} in the value and an https vault URL', () => {
    expect(problems({ value: '{{keyId}}' })).toContain('must contain {{secret}}');
    expect(problems({ vaultUrl: 'http://payments-kv.vault.azure.net' })).not.toBe('');
  });

  it('is a publish target in a plan', () => {
    const plan = planSchema.parse({
      apiVersion: 'keyrot/v1', name: 'p', source: { type: 'generated' },
      publish: [{ type: 'azure-keyvault', vaultUrl: 'https://payments-kv.vault.azure.net', name: 'payments', expiresIn: '90d' }],
    });
    expect(plan.publish[0]).toMatchObject({ type: 'azure-keyvault', value: '{{secret}}', expiresIn: 90 * 86_400_000, adopt: false });
    expect(JSON.stringify(planJsonSchema())).toContain('Key Vault cannot delete or purge a single version'); // `keyrot schema` documents it
  });
});

describe('azure-keyvault: what real Key Vault does that a reading of its docs would miss', () => {
  afterEach(() => {
    server.freezeTime(undefined);
    server.propagationMs = 0;
  });

  it('versions of one second are listed by id, not by time: the latest version is found by what Key Vault says, never by list order', async () => {
    const { name, store } = storeFor();
    const [older, latest] = [newCredential(), newCredential()];
    server.freezeTime(1_790_000_000);
    server.nextVersionIds('F0'.padEnd(32, '0'), '0A'.padEnd(32, '0')); // the latest sorts first
    await store.publish(older, context());
    await store.publish(latest, context());
    expect(server.versions(name).map((v) => v.created)).toEqual([1_790_000_000, 1_790_000_000]);

    // Revoke the key consumers read: the latest version is disabled, so Key Vault will not name it.
    await store.onDeactivate(latest.keyId);
    expect(server.versions(name).map((v) => v.enabled)).toEqual([true, false]);
    expect(await store.ownership()).toMatchObject({ state: 'managed', keyId: latest.keyId });
    expect(shown(await store.readBack())).toBe('nothing');
    await store.onReactivate(latest.keyId);
    expect(shown(await store.readBack())).toBe(shown(latest));
  });

  it('among disabled versions of the same second the tie is broken by the highest id, whatever order they come in', () => {
    const at = new Date('2026-11-01T10:00:00Z');
    const v = (id: string, enabled = false, createdOn = at) => ({ id, enabled, tags: {}, createdOn });
    const list = [v('0b'.padEnd(32, '0')), v('ff'.padEnd(32, '0'), true), v('c1'.padEnd(32, '0')), v('aa'.padEnd(32, '0'), false, new Date(at.getTime() - 1000))];
    expect(latestDisabled(list)?.id).toBe('c1'.padEnd(32, '0'));
    expect(latestDisabled([...list].reverse())?.id).toBe('c1'.padEnd(32, '0'));
    expect(latestDisabled([v('ff'.padEnd(32, '0'), true)])).toBeUndefined();
  });

  it('never updates a secret without a version id: Key Vault would change the latest version', async () => {
    const { name, config, ctx } = storeFor();
    server.put(name, randomBytes(20).toString('hex'));
    const kv = connect(config, ctx, 'azure-keyvault test', { credential: tokenCredential(server.token), backoff: FAST });
    const before = server.requests.length;
    const e = await failure(kv.setEnabled('', false));
    expect(e.code).toBe('invariant');
    expect(e.message).toContain('without a version id');
    expect(server.requests.slice(before).filter((r) => r.method === 'PATCH')).toHaveLength(0);
    expect(server.versions(name).map((v) => v.enabled)).toEqual([true]);
  });

  it('a name being deleted or recovered is its own case ("retry shortly"), not "deleted but recoverable"', async () => {
    server.propagationMs = 400;
    const { name, store } = storeFor();
    const key = newCredential();
    await store.publish(key, context());

    server.softDelete(name);
    expect(shown(await store.readBack())).toBe('nothing'); // reads 404 while the delete settles
    const settling = await failure(store.publish(newCredential(), context()));
    expect(settling.code).toBe('secret-being-deleted');
    expect(said(settling)).toMatch(/still deleting or recovering .*retry shortly/s);
    expect(settling.exitCode).toBe(4);

    await new Promise((r) => setTimeout(r, 450));
    expect((await failure(store.publish(newCredential(), context()))).code).toBe('secret-soft-deleted');

    server.recover(name);
    expect(shown(await store.readBack())).toBe('nothing'); // and again while the recover settles
    expect((await failure(store.publish(newCredential(), context()))).code).toBe('secret-being-deleted');
    await new Promise((r) => setTimeout(r, 450));
    expect(shown(await store.readBack())).toBe(shown(key));
  });
});

/** A SecretClient as keyrot builds one (no SDK retries), straight at the test server. */
const sdk = (token = server.token, ca: string | null = server.ca, url = server.vaultUrl) =>
  new SecretClient(url, tokenCredential(token), {
    serviceVersion: '7.6', disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 }, ...(ca ? { tlsOptions: { ca } } : {}),
  });

/** What the SDK really throws for a call: the errors below are never made by hand. */
async function thrown(call: () => Promise<unknown>, label = ''): Promise<Error> {
  try {
    await call();
  } catch (e) {
    return e as Error;
  }
  throw new Error(`expected the SDK call to fail ${label}`);
}

describe('azure-keyvault error mapping, from errors the SDK really throws', () => {
  const call = (name: string, sensitive: string[] = []) =>
    ({ store: `azure-keyvault kv/${name}`, vaultUrl: 'https://payments-kv.vault.azure.net', name, operation: 'write a new version', permission: 'set' as const, sensitive });
  const secret = () => randomBytes(24).toString('base64url');

  /** Nothing the user sees, and nothing kept on the error, holds the secret sent with the request. */
  function expectNoSecret(e: KeyrotError, value: string) {
    expect(said(e).includes(value)).toBe(false);
    expect(JSON.stringify(e.details).includes(value)).toBe(false);
    expect(e.stack?.includes(value)).toBe(false);
    expect((e as { cause?: unknown }).cause).toBeUndefined();
  }

  it('SDK 4.11 carries Key Vault\'s inner code only at details.error.innerError.code, and nothing for a list', async () => {
    const name = `shape-${randomBytes(4).toString('hex')}`;
    const client = sdk();
    const version = (await client.setSecret(name, secret())).properties.version!;
    await client.updateSecretProperties(name, version, { enabled: false });
    const disabled = await thrown(() => client.getSecret(name)) as Error & Record<string, unknown>;
    expect(disabled).toMatchObject({ name: 'RestError', statusCode: 403, code: 'Forbidden', details: { error: { innerError: { code: 'SecretDisabled' } } } });
    expect((disabled.response as Record<string, unknown>).bodyAsText).toBeUndefined();
    expect((disabled.response as Record<string, unknown>).parsedBody).toBeUndefined();
    expect(innerCode(disabled)).toBe('SecretDisabled');

    server.throttle(1);
    const listing = await thrown(async () => {
      for await (const _ of client.listPropertiesOfSecretVersions(name)) void _;
    }) as Error & Record<string, unknown>;
    expect(listing).toMatchObject({ statusCode: 429, message: 'Pagination failed with unexpected statusCode 429' });
    expect(listing.details).toBeUndefined();
    expect(toKeyrotError(listing, call(name)).message).toContain('throttled by Key Vault (HTTP 429)');
  });

  it('maps each error by status and inner code, never showing the secret sent with it', async () => {
    const name = `map-${randomBytes(4).toString('hex')}`;
    const value = secret();
    const reader = sdk(server.createToken(['get', 'list']));
    const cases: [string, () => Promise<unknown>, string, RegExp][] = [
      ['RBAC 403', () => reader.setSecret(name, value), 'azure-denied', /for appid=keyrot-test;oid=.*: write a new version needs secrets\/set/],
      ['401', () => sdk('kvtest.not-a-token').setSecret(name, value), 'provider-auth-failed', /rejected the token \(AKV10032: Invalid issuer\.\)/],
      ['404', () => sdk().getSecret(name, { version: 'ab'.repeat(16) }), 'provider-failed', /HTTP 404 SecretNotFound/],
      ['TLS', () => sdk(server.token, null).setSecret(name, value), 'provider-failed', /TLS connection/],
      ['429', async () => { server.throttle(1); await sdk().setSecret(name, value); }, 'provider-failed', /throttled by Key Vault \(HTTP 429\) on the only attempt/],
    ];
    for (const [label, run, code, text] of cases) {
      const e = toKeyrotError(await thrown(run, label), call(name, [value]));
      expect(e.code, label).toBe(code);
      expect(said(e), label).toMatch(text);
      expectNoSecret(e, value);
    }
  });

  it('a deleted name: 409 ObjectIsDeletedButRecoverable while it can be recovered, 409 ObjectIsBeingDeleted while a delete settles', async () => {
    const name = `gone-${randomBytes(4).toString('hex')}`;
    const value = secret();
    await sdk().setSecret(name, secret());
    server.propagationMs = 60_000;
    server.softDelete(name);
    const settling = await thrown(() => sdk().setSecret(name, value));
    expect(innerCode(settling)).toBe('ObjectIsBeingDeleted');
    expect(toKeyrotError(settling, call(name, [value])).code).toBe('secret-being-deleted');
    server.propagationMs = 0;
    server.recover(name);
    server.softDelete(name);
    const recoverable = await thrown(() => sdk().setSecret(name, value));
    expect(innerCode(recoverable)).toBe('ObjectIsDeletedButRecoverable');
    const e = toKeyrotError(recoverable, call(name, [value]));
    expect(e.code).toBe('secret-soft-deleted');
    expectNoSecret(e, value);
  });

  it('masks what Key Vault echoes back, and explains a refused connection', async () => {
    const name = `bad_${randomBytes(6).toString('hex')}`; // an invalid name: Key Vault quotes it
    const e = toKeyrotError(await thrown(() => sdk().setSecret(name, secret())), call(name, [name.slice(4)]));
    const { reason } = e.details as { reason?: string };
    expect(reason).toMatch(/^HTTP 400 BadParameter: .*\[redacted\]/);
    expect(String(reason).includes(name.slice(4))).toBe(false);

    const closed = `https://127.0.0.1:${await freePort()}`;
    const refused = toKeyrotError(await thrown(() => sdk(server.token, server.ca, closed).getSecret('x')), { ...call('x'), vaultUrl: closed });
    expect(refused.message).toContain(`no answer from ${closed}: connection refused`);

    const none = toKeyrotError(new CredentialUnavailableError('DefaultAzureCredential failed to retrieve a token.\nEnvironmentCredential is unavailable.'), call('x'));
    expect(none.code).toBe('provider-auth-failed');
    expect(none.hint).toContain('az login');
  });
});

describe('the Key Vault test server answers as the service does', () => {
  it('the challenge: 401 with AKV10000 and a Bearer authorization/resource header', async () => {
    const res = await new Promise<{ status?: number; header?: string; body: string }>((resolve, reject) => {
      https.get(`${server.vaultUrl}/secrets/x?api-version=7.6`, { ca: server.ca }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode, header: r.headers['www-authenticate'], body }));
      }).on('error', reject);
    });
    expect(res.status).toBe(401);
    expect(res.header).toMatch(/^Bearer authorization="https:\/\/login\.windows\.net\/[0-9a-f-]{36}", resource="https:\/\/vault\.azure\.net"$/);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });
  });

  it('lists versions by upper-cased id in pages of 25 with an opaque $skiptoken; none for a missing name; no tags key when none', async () => {
    const name = `paging-${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 30; i += 1) server.put(name, `v${i}`);
    const before = server.requests.length;
    const ids: string[] = [];
    for await (const p of sdk().listPropertiesOfSecretVersions(name)) {
      ids.push(p.version!);
      expect(p.tags).toBeUndefined();
    }
    expect(ids).toHaveLength(30);
    expect(ids).toEqual([...ids].sort((a, b) => (a.toUpperCase() < b.toUpperCase() ? -1 : 1)));
    const pages = server.requests.slice(before).filter((r) => r.path.endsWith('/versions') && r.authorized);
    expect(pages).toHaveLength(2);

    const missing: unknown[] = [];
    for await (const p of sdk().listPropertiesOfSecretVersions(`never-${randomBytes(4).toString('hex')}`)) missing.push(p);
    expect(missing).toEqual([]);
  });

  it('PATCH without a version changes the latest version', async () => {
    const name = `patch-${randomBytes(4).toString('hex')}`;
    server.put(name, 'one');
    server.put(name, 'two');
    await sdk().updateSecretProperties(name, '', { enabled: false });
    expect(server.versions(name).map((v) => v.enabled)).toEqual([true, false]);
  });
});
