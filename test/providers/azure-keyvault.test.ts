// The azure-keyvault store as a user meets it: what it writes, how it retires a key, and what it says
// when Key Vault refuses. Against the Key Vault test server; secrets are compared by fingerprint only.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { planJsonSchema, planSchema } from '../../src/plan/schema.js';
import { toKeyrotError } from '../../src/providers/stores/azure-keyvault/errors.js';
import { azureKeyVaultStoreSchema } from '../../src/providers/stores/azure-keyvault/schema.js';
import { createAzureKeyVaultStore } from '../../src/providers/stores/azure-keyvault/store.js';
import type { SecretStore } from '../../src/providers/types.js';
import { failure, newCredential, shown } from '../contracts/secret-store.contract.js';
import { type KeyVaultTestServer, startKeyVaultServer } from '../peers/azure-keyvault-server.js';

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

function storeFor(plan: Record<string, unknown> = {}, opts: { token?: string | null; notes?: string[] } = {}) {
  const name = (plan.name as string | undefined) ?? `payments-${randomBytes(5).toString('hex')}`;
  const config = azureKeyVaultStoreSchema.parse({
    type: 'azure-keyvault', vaultUrl: server.vaultUrl, name, disableChallengeResourceVerification: true, tls: { caFile: 'ca.pem' }, ...plan,
  });
  const ctx = { planName: 'payments', planDir: dir, stateDir: dir, env: process.env, now: () => new Date(), note: (m: string) => opts.notes?.push(m) };
  const store = createAzureKeyVaultStore(config, ctx, opts.token === null ? {} : { credential: tokenCredential(opts.token ?? server.token) });
  return { name, store };
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

  it('retries while Key Vault throttles (429), and says so when it never stops', async () => {
    const { store } = storeFor();
    const key = newCredential();
    server.throttle(3);
    await store.publish(key, context());
    expect(shown(await store.readBack())).toBe(shown(key));

    server.throttle(50);
    const e = await failure(store.readBack());
    server.throttle(0);
    expect(e.code).toBe('provider-failed');
    expect(e.message).toContain('throttled by Key Vault (HTTP 429)');
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

describe('azure-keyvault error mapping', () => {
  const call = { store: 'azure-keyvault kv/payments', vaultUrl: 'https://payments-kv.vault.azure.net', name: 'payments', operation: 'write a new version', permission: 'set' as const };
  const secret = randomBytes(24).toString('base64url');
  const restError = (statusCode: number | undefined, code: string, message: string, inner?: string) =>
    Object.assign(new Error(message), {
      name: 'RestError', statusCode, code,
      // What a RestError really carries: the request, with the secret in its body. It must never surface.
      request: { body: JSON.stringify({ value: secret }) },
      response: { bodyAsText: JSON.stringify({ error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } }) },
    });

  const cases: [string, unknown, string, RegExp][] = [
    ['access policy 403', restError(403, 'Forbidden', "The user, group or application 'appid=abc;oid=def' does not have secrets set permission on key vault 'payments-kv;location=westeurope'.", 'AccessDenied'), 'azure-denied', /for appid=abc;oid=def: write a new version needs secrets\/set/],
    ['soft-deleted 409', restError(409, 'Conflict', 'Secret payments is currently in a deleted but recoverable state', 'ObjectIsDeletedButRecoverable'), 'secret-soft-deleted', /deleted but recoverable/],
    ['429', restError(429, 'Throttled', 'Too many requests'), 'provider-failed', /throttled/],
    ['401', restError(401, 'Unauthorized', 'AKV10032: Invalid issuer.'), 'provider-auth-failed', /rejected the token/],
    ['404', restError(404, 'SecretNotFound', 'A secret with (name/id) payments was not found'), 'provider-failed', /HTTP 404 SecretNotFound/],
    ['TLS', restError(undefined, 'SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'provider-failed', /TLS connection/],
    ['network', restError(undefined, 'ECONNREFUSED', `connect ECONNREFUSED`), 'provider-failed', /cannot reach https:\/\/payments-kv/],
    ['no credential', Object.assign(new Error('DefaultAzureCredential failed to retrieve a token.\nEnvironmentCredential is unavailable.'), { name: 'CredentialUnavailableError' }), 'provider-auth-failed', /az login/],
    ['a message echoing the value', restError(400, 'BadParameter', `Property value ${secret} is invalid`), 'provider-failed', /\[redacted\]/],
  ];

  it.each(cases)('%s', (_, thrown, code, text) => {
    const e = toKeyrotError(thrown, { ...call, sensitive: [secret] });
    expect(e.code).toBe(code);
    expect(said(e)).toMatch(text);
    expect(said(e).includes(secret)).toBe(false);
    expect(JSON.stringify(e.details).includes(secret)).toBe(false);
    expect(e.stack?.includes(secret)).toBe(false);
    expect((e as { cause?: unknown }).cause).toBeUndefined();
  });
});
