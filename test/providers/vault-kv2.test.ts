// vault-kv2 behaviour a user notices, against the KV v2 test server: each auth method and its
// failure message, check-and-set, Vault's states, the retire hooks on versions, and secrets kept
// out of every error. The SecretStore contract itself runs in test/contracts/.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KeyrotError } from '../../src/errors.js';
import { loadPlan } from '../../src/plan/load.js';
import { vaultKv2StoreSchema } from '../../src/providers/stores/vault-kv2/schema.js';
import { createVaultKv2Store } from '../../src/providers/stores/vault-kv2/store.js';
import type { Credential, SecretStore } from '../../src/providers/types.js';
import { failure, newCredential, shown } from '../contracts/secret-store.contract.js';
import { type Policy, type VaultTestServer, startVaultKv2Server } from '../peers/vault-kv2-server.js';

let server: VaultTestServer;
let dir: string;
const PLAN = 'payments-aws';
const context = { plan: PLAN, rotationId: 'r-1', rotatedAt: new Date('2025-03-01T12:00:00Z') };
const WRITER: Policy = Object.fromEntries(
  [
    ['data', ['create', 'read', 'update']],
    ['metadata', ['create', 'read', 'update']],
    ['delete', ['update']],
    ['undelete', ['update']],
    ['destroy', ['update']],
  ].map(([kind, caps]) => [`secret/${kind as string}/payments/*`, caps as Policy[string]]),
);

beforeAll(async () => {
  server = await startVaultKv2Server();
  dir = await mkdtemp(path.join(tmpdir(), 'keyrot-vault-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.beforeDataWrite = undefined;
  server.intercept = undefined;
  server.unseal();
});

interface Made {
  store: SecretStore;
  path: string;
  notes: string[];
}

/** A store on a fresh path under payments/; `env` replaces the default VAULT_ADDR + root token. */
function make(plan: Record<string, unknown> = {}, env?: NodeJS.ProcessEnv, planName = PLAN): Made {
  const notes: string[] = [];
  const config = vaultKv2StoreSchema.parse({
    type: 'vault-kv2',
    path: `payments/${randomUUID()}`,
    data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' },
    ...plan,
  });
  const store = createVaultKv2Store(config, {
    planName, planDir: dir, stateDir: dir, now: () => new Date(), note: (m) => notes.push(m),
    env: { HOME: dir, ...(env ?? { VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken }) },
  });
  return { store, path: config.path, notes };
}

/** Everything an error could show anyone: message, hint, details, stack, util.inspect. */
const everything = (e: KeyrotError) => [e.message, e.hint, JSON.stringify(e.details), e.stack ?? '', inspect(e, { depth: 10 })].join('\n');

async function writeFileIn(name: string, content: string): Promise<string> {
  await writeFile(path.join(dir, name), content, { mode: 0o600 });
  return name;
}

describe('token auth', () => {
  it('uses VAULT_TOKEN', async () => {
    const { store } = make({}, { VAULT_ADDR: server.address, VAULT_TOKEN: server.createToken(WRITER) });
    const key = newCredential();
    await store.publish(key, context);
    expect(shown(await store.readBack())).toBe(shown(key));
  });

  it('falls back to ~/.vault-token, as the vault CLI does', async () => {
    const home = path.join(dir, 'home-with-token');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, '.vault-token'), `${server.createToken(WRITER)}\n`);
    const { store } = make({}, { VAULT_ADDR: server.address, HOME: home });
    expect(await store.ownership()).toEqual({ state: 'absent' });
  });

  it('without a token says where it looked and what to run', async () => {
    const e = await failure(make({}, { VAULT_ADDR: server.address }).store.ownership());
    expect(e.code).toBe('provider-auth-failed');
    expect(e.message).toContain('VAULT_TOKEN is not set and ~/.vault-token is missing');
    expect(e.hint).toContain('vault login');
  });

  it('an expired token is reported as expired, not as permission denied, and never shown', async () => {
    const token = server.createToken(WRITER, { ttlSeconds: 60 });
    server.expireToken(token);
    const e = await failure(make({}, { VAULT_ADDR: server.address, VAULT_TOKEN: token }).store.ownership());
    expect(e.code).toBe('provider-auth-failed');
    expect(e.message).toContain('Vault rejected the token from VAULT_TOKEN: it is invalid, expired or revoked');
    expect(e.hint).toContain('vault login');
    expect(everything(e).includes(token)).toBe(false);
  });

  it('a token that expires during the run is reported as expired too', async () => {
    const token = server.createToken(WRITER, { ttlSeconds: 600 });
    const { store } = make({}, { VAULT_ADDR: server.address, VAULT_TOKEN: token });
    await store.publish(newCredential(), context);
    server.expireToken(token);
    const e = await failure(store.readBack());
    expect(e.code).toBe('provider-auth-failed');
    expect(e.message).toContain('the token from VAULT_TOKEN as invalid or expired');
  });
});

describe('AppRole auth', () => {
  it('logs in with role_id from an env var and secret_id from a file', async () => {
    const { roleId, secretId } = server.addAppRole(WRITER);
    const secretIdFile = await writeFileIn('secret-id', `${secretId}\n`);
    const auth = { method: 'approle', roleIdEnv: 'KEYROT_ROLE_ID', secretIdFile };
    const { store } = make({ auth }, { VAULT_ADDR: server.address, KEYROT_ROLE_ID: roleId });
    const key = newCredential();
    await store.publish(key, context);
    expect(shown(await store.readBack())).toBe(shown(key));
    expect(server.requests.some((r) => r.method === 'POST' && r.path === '/v1/auth/approle/login')).toBe(true);
  });

  it("a wrong secret_id fails with Vault's reason and without either id", async () => {
    const { roleId } = server.addAppRole(WRITER);
    const wrong = randomUUID();
    const auth = { method: 'approle', roleIdEnv: 'KEYROT_ROLE_ID', secretIdEnv: 'KEYROT_SECRET_ID' };
    const e = await failure(make({ auth }, { VAULT_ADDR: server.address, KEYROT_ROLE_ID: roleId, KEYROT_SECRET_ID: wrong }).store.ownership());
    expect(e.code).toBe('provider-auth-failed');
    expect(e.message).toContain('AppRole login at auth/approle failed: invalid role or secret ID (HTTP 400)');
    expect(e.hint).toContain('secret-id');
    expect(everything(e).includes(roleId) || everything(e).includes(wrong)).toBe(false);
  });

  it('names the environment variable that is not set', async () => {
    const auth = { method: 'approle', roleIdEnv: 'KEYROT_ROLE_ID', secretIdEnv: 'KEYROT_SECRET_ID' };
    const e = await failure(make({ auth }, { VAULT_ADDR: server.address }).store.ownership());
    expect(e.message).toContain('AppRole role_id: environment variable KEYROT_ROLE_ID is not set');
  });
});

describe('Kubernetes auth', () => {
  it('logs in with the service account token file and a role', async () => {
    const { jwt } = server.addKubernetesRole('payments', WRITER);
    const jwtFile = await writeFileIn('sa-token', jwt);
    const { store } = make({ auth: { method: 'kubernetes', role: 'payments', jwtFile } }, { VAULT_ADDR: server.address });
    expect(await store.ownership()).toEqual({ state: 'absent' });
    expect(server.requests.some((r) => r.method === 'POST' && r.path === '/v1/auth/kubernetes/login')).toBe(true);
  });

  it('a rejected service account token fails with the role named and the token unseen', async () => {
    server.addKubernetesRole('payments', WRITER);
    const forged = `eyJ${randomBytes(40).toString('base64url')}`;
    const jwtFile = await writeFileIn('forged-token', forged);
    const e = await failure(make({ auth: { method: 'kubernetes', role: 'payments', jwtFile } }, { VAULT_ADDR: server.address }).store.ownership());
    expect(e.code).toBe('provider-auth-failed');
    expect(e.message).toContain('Kubernetes login as role "payments" at auth/kubernetes failed: permission denied (HTTP 403)');
    expect(e.hint).toContain('vault read auth/kubernetes/role/payments');
    expect(everything(e).includes(forged)).toBe(false);
  });

  it('an unknown role and a missing token file are each explained', async () => {
    const { jwt } = server.addKubernetesRole('payments', WRITER);
    const jwtFile = await writeFileIn('sa-token-2', jwt);
    const unknown = await failure(make({ auth: { method: 'kubernetes', role: 'nope', jwtFile } }, { VAULT_ADDR: server.address }).store.ownership());
    expect(unknown.message).toContain('invalid role name "nope"');
    const missing = await failure(make({ auth: { method: 'kubernetes', role: 'payments', jwtFile: 'no-such-file' } }, { VAULT_ADDR: server.address }).store.ownership());
    expect(missing.message).toContain(`cannot read the service account token ${path.join(dir, 'no-such-file')} (ENOENT)`);
  });
});

describe('check-and-set', () => {
  const other = (secret: string) => ({ access_key_id: 'AKIAOTHERWRITER', secret_access_key: secret });

  it("a write that lands between keyrot's read and write is detected and never overwritten", async () => {
    const { store, path: p } = make();
    const old = newCredential();
    await store.publish(old, context);
    const theirs = randomBytes(20).toString('hex');
    server.beforeDataWrite = () => {
      server.beforeDataWrite = undefined;
      server.put('secret', p, other(theirs));
    };
    const mine = newCredential();
    const e = await failure(store.publish(mine, context));
    expect(e.code).toBe('store-conflict');
    expect(e.message).toContain('version 1 became 2');
    const secret = server.secret('secret', p)!;
    expect(secret.currentVersion).toBe(2);
    expect(secret.versions[2]!.data!.secret_access_key === theirs).toBe(true);
    expect(Object.values(secret.versions).some((v) => v.data?.secret_access_key === mine.secret)).toBe(false);
    // keyrot's claim on version 2 was taken back: the other writer's version is not labelled as ours.
    expect(secret.customMetadata?.['keyrot-key-id']).toBe(old.keyId);
    expect((await store.readBack())?.keyId).not.toBe(mine.keyId);
  });

  it('retries once when the other write left the content unchanged, and fails if it happens again', async () => {
    const { store, path: p } = make();
    await store.publish(newCredential(), context);
    const rewriteSame = () => {
      const s = server.secret('secret', p)!;
      server.put('secret', p, s.versions[s.currentVersion]!.data!);
    };
    server.beforeDataWrite = () => {
      server.beforeDataWrite = undefined;
      rewriteSame();
    };
    const next = newCredential();
    await store.publish(next, context);
    expect(shown(await store.readBack())).toBe(shown(next));

    server.beforeDataWrite = rewriteSame; // a sync job that rewrites before every write
    expect((await failure(store.publish(newCredential(), context))).code).toBe('store-conflict');
    expect(shown(await store.readBack())).toBe(shown(next));
  });
});

describe('no secret in any error', () => {
  it('a failing write: the HTTP answer echoes the request body, the error does not', async () => {
    const { store } = make();
    server.intercept = (r) =>
      r.method === 'POST' && r.path.includes('/data/') ? { status: 500, body: { errors: [`internal error storing ${JSON.stringify(r.body)}`] } } : undefined;
    const key = newCredential();
    const e = await failure(store.publish(key, context));
    expect(e.code).toBe('provider-failed');
    expect(e.message).toContain('write the secret failed: HTTP 500: internal error storing');
    expect(everything(e).includes(key.secret)).toBe(false);
  });

  it('a timed-out write (a raw AxiosError holding the request body) becomes a typed timeout', async () => {
    const { store } = make({ timeout: '200ms' });
    await store.ownership(); // log in first, so the stall hits the write
    server.intercept = async (r) => {
      if (r.method === 'POST' && r.path.includes('/data/')) await new Promise((resolve) => setTimeout(resolve, 1500));
      return undefined;
    };
    const key = newCredential();
    const e = await failure(store.publish(key, context));
    expect(e.code).toBe('provider-timeout');
    expect(e.message).toContain('write the secret got no answer within 200ms');
    expect(everything(e).includes(key.secret)).toBe(false);
  });
});

describe("Vault's states", () => {
  it('a sealed Vault is named as sealed', async () => {
    server.seal();
    const e = await failure(make().store.ownership());
    expect(e.code).toBe('vault-sealed');
    expect(e.message).toBe(`Vault at ${server.address} is sealed`);
    expect(e.hint).toContain('vault operator unseal');
  });

  it('a missing mount and a KV v1 mount are told apart from a missing secret', async () => {
    const missing = await failure(make({ mount: 'nothing-here' }).store.ownership());
    expect(missing.code).toBe('vault-mount-missing');
    expect(missing.message).toContain('has no KV v2 engine at "nothing-here/"');
    server.mount('kv1', 1);
    const v1 = await failure(make({ mount: 'kv1' }).store.ownership());
    expect(v1.message).toContain('it is KV version 1');
    expect(await make().store.ownership()).toEqual({ state: 'absent' });
  });

  it('permission denied names the path and the capability to grant', async () => {
    const readOnly: Policy = { 'secret/data/payments/*': ['read'], 'secret/metadata/payments/*': ['read'] };
    const { store, path: p } = make({}, { VAULT_ADDR: server.address, VAULT_TOKEN: server.createToken(readOnly) });
    const e = await failure(store.publish(newCredential(), context));
    expect(e.code).toBe('provider-denied');
    expect(e.message).toContain(`needs "create/update" on secret/metadata/${p}`);
    expect(e.hint).toContain(`grant "create/update" on "secret/metadata/${p}"`);
  });

  it('an unreachable Vault says so', async () => {
    const e = await failure(make({ address: 'http://127.0.0.1:1' }).store.ownership());
    expect(e.code).toBe('provider-failed');
    expect(e.message).toContain('cannot connect to http://127.0.0.1:1 (connection refused)');
  });
});

describe('ownership and resume', () => {
  it("refuses a secret another keyrot plan manages", async () => {
    const first = make({}, undefined, 'other-plan');
    await first.store.publish(newCredential(), { ...context, plan: 'other-plan' });
    const { store } = make({ path: first.path });
    expect(await store.ownership()).toMatchObject({ state: 'unmanaged', detail: 'it is managed by keyrot plan "other-plan"' });
    expect((await failure(store.publish(newCredential(), context))).code).toBe('store-unmanaged');
  });

  it('a publish that died after marking the secret still reads back the old key, and completes on re-run', async () => {
    const { store } = make();
    const [old, next] = [newCredential(), newCredential()];
    await store.publish(old, context);
    server.intercept = (r) => (r.method === 'POST' && r.path.includes('/data/') ? { status: 502, body: { errors: ['upstream went away'] } } : undefined);
    await failure(store.publish(next, context));
    server.intercept = undefined;
    expect(shown(await store.readBack())).toBe(shown(old));
    await store.publish(next, context);
    expect(shown(await store.readBack())).toBe(shown(next));
  });

  it('a field with text around {{secret}} is read back as the bare secret', async () => {
    const data = { authorization: 'Bearer {{secret}}', key_id: '{{keyId}}', rotated_at: '{{rotatedAt}}' };
    const { store, path: p } = make({ data });
    const key = newCredential();
    await store.publish(key, context);
    expect(shown(await store.readBack())).toBe(shown(key));
    const written = server.secret('secret', p)!.versions[1]!.data!;
    expect(written.authorization === `Bearer ${key.secret}`).toBe(true);
    expect(written.rotated_at).toBe('2025-03-01T12:00:00.000Z');
  });
});

describe('retire hooks work on versions', () => {
  async function rotated(plan: Record<string, unknown> = {}): Promise<Made & { old: Credential }> {
    const made = make(plan);
    const old = newCredential();
    await made.store.publish(old, context);
    await made.store.publish(newCredential(), context);
    return { ...made, old };
  }
  const version = (p: string, n: number) => server.secret('secret', p)!.versions[n]!;

  it("deactivate soft-deletes the old key's version, reactivate restores it, delete destroys it", async () => {
    const { store, path: p, old } = await rotated();
    await store.onDeactivate(old.keyId);
    expect(version(p, 1)).toMatchObject({ deleted: true, destroyed: false });
    await store.onReactivate(old.keyId);
    expect(version(p, 1)).toMatchObject({ deleted: false, destroyed: false });
    await store.onDeactivate(old.keyId);
    await store.onDelete(old.keyId);
    expect(version(p, 1)).toMatchObject({ destroyed: true });
    expect(version(p, 2)).toMatchObject({ deleted: false, destroyed: false });
  });

  it('destroyOldVersions: false keeps the old version soft-deleted', async () => {
    const { store, path: p, old } = await rotated({ destroyOldVersions: false });
    await store.onDeactivate(old.keyId);
    await store.onDelete(old.keyId);
    expect(version(p, 1)).toMatchObject({ deleted: true, destroyed: false });
  });

  it('an adopted secret is retired as the old key, whatever its id', async () => {
    const { store, path: p } = make({ adopt: true });
    server.put('secret', p, { access_key_id: 'AKIAHANDMADE', secret_access_key: randomBytes(20).toString('hex') });
    await store.publish(newCredential(), context);
    await store.onDeactivate('AKIAHANDMADE');
    await store.onDelete('AKIAHANDMADE');
    expect(version(p, 1)).toMatchObject({ destroyed: true });
  });
});

describe('plan and dry run', () => {
  it('explains the HTTP calls, with the version check-and-set will expect', async () => {
    const { store, path: p } = make();
    await store.publish(newCredential(), context);
    await store.ownership();
    expect(store.explain('publish')).toBe(`vault: POST /v1/secret/metadata/${p} (custom_metadata), POST /v1/secret/data/${p} (cas=1)`);
    expect(store.explain('onDelete')).toBe(`vault: POST /v1/secret/destroy/${p} (destroy the old key's version)`);
  });

  it('sends the namespace, and warns when TLS verification is off', async () => {
    const made = make({ namespace: 'team-a', tls: { skipVerify: true } });
    await made.store.ownership();
    expect(server.requests.at(-1)).toMatchObject({ namespace: 'team-a' });
    expect(made.store.label).toContain('(namespace team-a)');
    expect(made.notes.join('\n')).toContain('TLS certificate checks are OFF');
  });

  it('without an address, says to set VAULT_ADDR', () => {
    expect(() => make({}, { VAULT_TOKEN: 'x' })).toThrow(/set VAULT_ADDR or `address` in the plan/);
  });

  it('rotation-plans/payments.yaml is a valid plan publishing to Vault', async () => {
    const result = await loadPlan(path.resolve('rotation-plans/payments.yaml'));
    expect(result.ok ? 'ok' : result.problems.map((p) => `${p.field}: ${p.message}`)).toBe('ok');
    if (result.ok) expect(result.loaded.plan.publish.map((t) => t.type)).toEqual(['vault-kv2']);
  });
});
