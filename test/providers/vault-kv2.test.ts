// vault-kv2 behaviour a user notices, against OpenBao 2.7.2 (a real Vault-compatible server): each
// auth method and its failure message, check-and-set, the server's states, the retire hooks on
// versions, adoption. What OpenBao cannot do here (Kubernetes auth's TokenReview, injected faults,
// namespaces) runs against the hand-written test server at the end. The SecretStore contract itself
// runs in test/contracts/.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyrotError } from '../../src/errors.js';
import { loadPlan } from '../../src/plan/load.js';
import { vaultKv2StoreSchema } from '../../src/providers/stores/vault-kv2/schema.js';
import { createVaultKv2Store } from '../../src/providers/stores/vault-kv2/store.js';
import type { Credential, SecretStore } from '../../src/providers/types.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { failure, newCredential, shown } from '../contracts/secret-store.contract.js';
import { type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { documentedPolicy, vaultApi, versionStates } from '../peers/vault-api.js';
import { type Policy, type VaultTestServer, startVaultKv2Server } from '../peers/vault-kv2-server.js';

let dir: string;
const PLAN = 'payments-aws';
const context = { plan: PLAN, rotationId: 'r-1', rotatedAt: new Date('2025-03-01T12:00:00Z') };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keyrot-vault-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Made {
  store: SecretStore;
  path: string;
  notes: string[];
}

/** A store on a fresh path under payments/ (or `plan.path`); `env` holds VAULT_ADDR and the auth. */
function makeStore(env: NodeJS.ProcessEnv, plan: Record<string, unknown> = {}, planName = PLAN): Made {
  const notes: string[] = [];
  const config = vaultKv2StoreSchema.parse({
    type: 'vault-kv2',
    path: `payments/${randomUUID()}`,
    data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' },
    ...plan,
  });
  const store = createVaultKv2Store(config, { planName, planDir: dir, stateDir: dir, now: () => new Date(), note: (m) => notes.push(m), env: { HOME: dir, ...env } });
  return { store, path: config.path, notes };
}

/** Everything an error could show anyone: message, hint, details, stack, util.inspect. */
const everything = (e: KeyrotError) => [e.message, e.hint, JSON.stringify(e.details), e.stack ?? '', inspect(e, { depth: 10 })].join('\n');

async function writeFileIn(name: string, content: string): Promise<string> {
  await writeFile(path.join(dir, name), content, { mode: 0o600 });
  return name;
}

describe('on OpenBao', () => {
  let bao: OpenBao;
  /** In front of OpenBao: puts another writer between the store's read and its write. */
  let proxy: ForwardingProxy;
  beforeAll(async () => {
    bao = await startOpenBao();
    proxy = await startForwardingProxy(bao.address);
    await bao.policy('payments', await documentedPolicy(path.resolve('rotation-plans/payments.yaml')));
    await bao.policy('payments-any', ['data', 'metadata', 'delete', 'undelete', 'destroy'].map((kind) => `path "secret/${kind}/payments/*" { capabilities = ["create", "read", "update"] }`).join('\n'));
  });
  afterAll(async () => {
    await proxy?.close();
    await bao?.stop();
  });

  const rootEnv = () => ({ VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken });
  const make = (plan: Record<string, unknown> = {}, env?: NodeJS.ProcessEnv, planName?: string) => makeStore(env ?? rootEnv(), plan, planName);
  const versions = (p: string) => versionStates(bao.root, 'secret', p);
  /** The fingerprint of the secret a version holds, or "gone". */
  async function versionPrint(p: string, n: number): Promise<string> {
    const secret = (await bao.root.get(`secret/data/${p}?version=${n}`)).body?.data?.data?.secret_access_key;
    return typeof secret === 'string' ? fingerprint(secret) : 'gone';
  }
  const seed = (p: string, data: Record<string, string>) => bao.root.post(`secret/data/${p}`, { data });

  describe('token auth', () => {
    it('uses VAULT_TOKEN', async () => {
      const { store } = make({}, { VAULT_ADDR: bao.address, VAULT_TOKEN: await bao.token(['payments-any']) });
      const key = newCredential();
      await store.publish(key, context);
      expect(shown(await store.readBack())).toBe(shown(key));
    });

    it('falls back to ~/.vault-token, as the vault CLI does', async () => {
      const home = path.join(dir, 'home-with-token');
      await mkdir(home, { recursive: true });
      await writeFile(path.join(home, '.vault-token'), `${await bao.token(['payments-any'])}\n`);
      const { store } = make({}, { VAULT_ADDR: bao.address, HOME: home });
      expect(await store.ownership()).toEqual({ state: 'absent' });
    });

    it('without a token says where it looked and what to run', async () => {
      const e = await failure(make({}, { VAULT_ADDR: bao.address }).store.ownership());
      expect(e.code).toBe('provider-auth-failed');
      expect(e.message).toContain('VAULT_TOKEN is not set and ~/.vault-token is missing');
      expect(e.hint).toContain('vault login');
    });

    it('a revoked token is reported as such (not as a missing policy), and never shown', async () => {
      const token = await bao.token(['payments-any']);
      await bao.revoke(token);
      const e = await failure(make({}, { VAULT_ADDR: bao.address, VAULT_TOKEN: token }).store.ownership());
      expect(e.code).toBe('provider-auth-failed');
      expect(e.message).toContain('token expired or revoked: log in again (the token from VAULT_TOKEN');
      expect(e.message).toContain('"default" policy');
      expect(e.hint).toContain('vault login');
      expect(everything(e).includes(token)).toBe(false);
    });

    it('a token that expires during the run is reported as expired, not as a missing policy', async () => {
      const token = await bao.token(['payments-any'], { ttl: '2s' });
      const issued = Date.now();
      const { store } = make({}, { VAULT_ADDR: bao.address, VAULT_TOKEN: token });
      await store.publish(newCredential(), context);
      await new Promise((r) => setTimeout(r, Math.max(0, issued + 2_500 - Date.now()))); // the token's TTL, not an overlap window
      const e = await failure(store.readBack());
      expect(e.code).toBe('provider-auth-failed');
      expect(e.message).toContain('token expired or revoked: log in again (the token from VAULT_TOKEN does not pass auth/token/lookup-self)');
      expect(everything(e).includes(token)).toBe(false);
    });

    it('a token revoked during the run is reported the same way; a valid token without a grant is still "permission denied"', async () => {
      const token = await bao.token(['payments-any']);
      const { store } = make({}, { VAULT_ADDR: bao.address, VAULT_TOKEN: token });
      await store.publish(newCredential(), context);
      await bao.revoke(token);
      expect((await failure(store.publish(newCredential(), context))).message).toContain('token expired or revoked: log in again');

      const narrow = make({ path: 'elsewhere/app' }, { VAULT_ADDR: bao.address, VAULT_TOKEN: await bao.token(['payments-any']) });
      const denied = await failure(narrow.store.ownership());
      expect(denied.code).toBe('provider-denied');
      expect(denied.message).toContain('read the secret needs "read" on secret/data/elsewhere/app');
    });
  });

  describe('AppRole auth', () => {
    it('rotates with exactly the policy rotation-plans/payments.yaml documents, and no root token', async () => {
      const { roleId, secretId } = await bao.appRole('payments', ['payments']);
      const secretIdFile = await writeFileIn('secret-id', `${secretId}\n`);
      const auth = { method: 'approle', roleIdEnv: 'KEYROT_ROLE_ID', secretIdFile };
      const { store, path: p } = make({ path: 'payments/aws', auth }, { VAULT_ADDR: bao.address, KEYROT_ROLE_ID: roleId });
      const [old, next] = [newCredential(), newCredential()];
      await store.publish(old, context);
      await store.publish(next, context);
      expect(shown(await store.readBack())).toBe(shown(next));
      await store.onDeactivate(old.keyId);
      await store.onReactivate(old.keyId);
      await store.onDeactivate(old.keyId);
      await store.onDelete(old.keyId);
      expect(await versions(p)).toEqual({ 1: 'destroyed', 2: 'readable' });
      expect(shown(await store.readBack())).toBe(shown(next));
    });

    it("a wrong secret_id fails with OpenBao's reason and without either id", async () => {
      const { roleId } = await bao.appRole('payments-wrong', ['payments']);
      const wrong = randomUUID();
      const auth = { method: 'approle', roleIdEnv: 'KEYROT_ROLE_ID', secretIdEnv: 'KEYROT_SECRET_ID' };
      const e = await failure(make({ auth }, { VAULT_ADDR: bao.address, KEYROT_ROLE_ID: roleId, KEYROT_SECRET_ID: wrong }).store.ownership());
      expect(e.code).toBe('provider-auth-failed');
      expect(e.message).toContain('AppRole login at auth/approle failed: invalid role or secret ID (HTTP 400)');
      expect(e.hint).toContain('secret-id');
      expect(everything(e).includes(roleId) || everything(e).includes(wrong)).toBe(false);
    });

    it('names the environment variable that is not set', async () => {
      const auth = { method: 'approle', roleIdEnv: 'KEYROT_ROLE_ID', secretIdEnv: 'KEYROT_SECRET_ID' };
      const e = await failure(make({ auth }, { VAULT_ADDR: bao.address }).store.ownership());
      expect(e.message).toContain('AppRole role_id: environment variable KEYROT_ROLE_ID is not set');
    });
  });

  describe('check-and-set', () => {
    const viaProxy = (plan: Record<string, unknown> = {}) => make(plan, { VAULT_ADDR: proxy.address, VAULT_TOKEN: bao.rootToken });

    it("a write that lands between keyrot's read and write is detected and never overwritten", async () => {
      const { store, path: p } = viaProxy();
      const old = newCredential();
      await store.publish(old, context);
      const theirs = randomBytes(20).toString('hex');
      proxy.beforeNextDataWrite(async () => void (await seed(p, { access_key_id: 'AKIAOTHERWRITER', secret_access_key: theirs })));
      const mine = newCredential();
      const e = await failure(store.publish(mine, context));
      expect(e.code).toBe('store-conflict');
      expect(e.message).toContain('version 1 became 2');
      expect(await versionPrint(p, 2)).toBe(fingerprint(theirs));
      expect(await versions(p)).toEqual({ 1: 'readable', 2: 'readable' });
      // keyrot's claim on version 2 was taken back: the other writer's version is not labelled as ours.
      expect((await store.readBack())?.keyId).toBe('AKIAOTHERWRITER');
    });

    it('the re-run after a conflict retires the version holding the old key, never the other writer\'s', async () => {
      const { store, path: p } = viaProxy();
      const [old, next] = [newCredential(), newCredential()];
      await store.publish(old, context); // v1
      const theirs = randomBytes(20).toString('hex');
      // A hand-made write, as `vault kv put` would do it: a value and nothing that names a key.
      proxy.beforeNextDataWrite(async () => void (await seed(p, { secret_access_key: theirs })));
      expect((await failure(store.publish(next, context))).code).toBe('store-conflict'); // v2 is theirs
      await store.publish(next, context); // the re-run the hint asks for: v3
      expect(shown(await store.readBack())).toBe(shown(next));

      await store.onDeactivate(old.keyId);
      expect(await versions(p)).toEqual({ 1: 'deleted', 2: 'readable', 3: 'readable' });
      await store.onDelete(old.keyId);
      expect(await versions(p)).toEqual({ 1: 'destroyed', 2: 'readable', 3: 'readable' });
      expect(await versionPrint(p, 2)).toBe(fingerprint(theirs));
      expect(shown(await store.readBack())).toBe(shown(next));
    });

    it('retries once when the other write left the content unchanged, and fails if it happens again', async () => {
      const { store, path: p } = viaProxy();
      await store.publish(newCredential(), context);
      const rewriteSame = async () => void (await seed(p, (await bao.root.get(`secret/data/${p}`)).body.data.data as Record<string, string>));
      proxy.beforeNextDataWrite(rewriteSame);
      const next = newCredential();
      await store.publish(next, context);
      expect(shown(await store.readBack())).toBe(shown(next));

      const always = async () => {
        await rewriteSame();
        proxy.beforeNextDataWrite(always); // a sync job that rewrites before every write
      };
      proxy.beforeNextDataWrite(always);
      expect((await failure(store.publish(newCredential(), context))).code).toBe('store-conflict');
      proxy.beforeNextDataWrite(async () => undefined);
      expect(shown(await store.readBack())).toBe(shown(next));
    });
  });

  describe("the server's states", () => {
    it('a missing mount and a KV v1 mount are told apart from a missing secret', async () => {
      const missing = await failure(make({ mount: 'nothing-here' }).store.ownership());
      expect(missing.code).toBe('vault-mount-missing');
      expect(missing.message).toContain('has no KV v2 engine at "nothing-here/"');
      await bao.mountKv('kv1', 1);
      const v1 = await failure(make({ mount: 'kv1' }).store.ownership());
      expect(v1.code).toBe('vault-mount-missing');
      expect(v1.message).toContain('it is KV version 1');
      expect(await make().store.ownership()).toEqual({ state: 'absent' });
    });

    it('permission denied names the path and the capability to grant', async () => {
      await bao.policy('payments-read', 'path "secret/data/payments/*" { capabilities = ["read"] }\npath "secret/metadata/payments/*" { capabilities = ["read"] }');
      const { store, path: p } = make({}, { VAULT_ADDR: bao.address, VAULT_TOKEN: await bao.token(['payments-read']) });
      const e = await failure(store.publish(newCredential(), context));
      expect(e.code).toBe('provider-denied');
      expect(e.message).toContain(`needs "create/update" on secret/metadata/${p}`);
      expect(e.hint).toContain(`grant "create/update" on "secret/metadata/${p}"`);
    });

    it('an unreachable server says so', async () => {
      const e = await failure(make({ address: 'http://127.0.0.1:1' }).store.ownership());
      expect(e.code).toBe('provider-failed');
      expect(e.message).toContain('cannot connect to http://127.0.0.1:1 (connection refused)');
    });
  });

  describe('ownership', () => {
    it('refuses a secret another keyrot plan manages', async () => {
      const first = make({}, undefined, 'other-plan');
      await first.store.publish(newCredential(), { ...context, plan: 'other-plan' });
      const { store } = make({ path: first.path });
      expect(await store.ownership()).toMatchObject({ state: 'unmanaged', detail: 'it is managed by keyrot plan "other-plan"' });
      expect((await failure(store.publish(newCredential(), context))).code).toBe('store-unmanaged');
    });

    it('refuses a secret written by hand unless the target says adopt: true', async () => {
      const { store, path: p } = make();
      await seed(p, { access_key_id: 'AKIAHANDMADE', secret_access_key: randomBytes(20).toString('hex') });
      const e = await failure(store.publish(newCredential(), context));
      expect(e.code).toBe('store-unmanaged');
      expect(e.message).toContain(`secret/data/${p} exists (version 1) without custom_metadata managed-by=keyrot`);
      expect(await versions(p)).toEqual({ 1: 'readable' });
    });

    it('a field with text around {{secret}} is read back as the bare secret', async () => {
      const data = { authorization: 'Bearer {{secret}}', key_id: '{{keyId}}', rotated_at: '{{rotatedAt}}' };
      const { store, path: p } = make({ data });
      const key = newCredential();
      await store.publish(key, context);
      expect(shown(await store.readBack())).toBe(shown(key));
      const written = (await bao.root.get(`secret/data/${p}`)).body.data.data as Record<string, string>;
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

    it("deactivate soft-deletes the old key's version, reactivate restores it, delete destroys it", async () => {
      const { store, path: p, old } = await rotated();
      await store.onDeactivate(old.keyId);
      expect(await versions(p)).toEqual({ 1: 'deleted', 2: 'readable' });
      await store.onReactivate(old.keyId);
      expect(await versions(p)).toEqual({ 1: 'readable', 2: 'readable' });
      expect(await versionPrint(p, 1)).toBe(fingerprint(old.secret));
      await store.onDeactivate(old.keyId);
      await store.onDelete(old.keyId);
      expect(await versions(p)).toEqual({ 1: 'destroyed', 2: 'readable' });
    });

    it('destroyOldVersions: false keeps the old version soft-deleted', async () => {
      const { store, path: p, old } = await rotated({ destroyOldVersions: false });
      await store.onDeactivate(old.keyId);
      await store.onDelete(old.keyId);
      expect(await versions(p)).toEqual({ 1: 'deleted', 2: 'readable' });
    });

    it('a version someone else wrote after the old key is left alone', async () => {
      const { store, path: p, old } = await rotated();
      await seed(p, { access_key_id: 'AKIAHANDMADE', secret_access_key: randomBytes(20).toString('hex') }); // v3, by hand
      await store.onDeactivate(old.keyId);
      await store.onDelete(old.keyId);
      expect(await versions(p)).toEqual({ 1: 'destroyed', 2: 'readable', 3: 'readable' });
    });

    it('an adopted value is retired with the old key of the first rotation', async () => {
      const { store, path: p } = make({ adopt: true });
      await seed(p, { access_key_id: 'AKIAHANDMADE', secret_access_key: randomBytes(20).toString('hex') });
      await store.publish(newCredential(), context);
      await store.onDeactivate('AKIAHANDMADE');
      expect(await versions(p)).toEqual({ 1: 'deleted', 2: 'readable' });
      await store.onDelete('AKIAHANDMADE');
      expect(await versions(p)).toEqual({ 1: 'destroyed', 2: 'readable' });
    });

    it('an adopted value whose key the issuer never knew is retired with the next old key', async () => {
      const { store, path: p } = make({ adopt: true, data: { api_key: '{{secret}}' } });
      await seed(p, { api_key: randomBytes(20).toString('hex') }); // written by hand: no key id anywhere
      const [first, second] = [newCredential(), newCredential()];
      await store.publish(first, context); // the first rotation: the issuer had no key to retire
      await store.publish(second, context);
      await store.onDeactivate(first.keyId);
      expect(await versions(p)).toEqual({ 1: 'deleted', 2: 'deleted', 3: 'readable' });
      await store.onReactivate(first.keyId);
      expect(await versions(p)).toEqual({ 1: 'readable', 2: 'readable', 3: 'readable' });
      await store.onDeactivate(first.keyId);
      await store.onDelete(first.keyId);
      expect(await versions(p)).toEqual({ 1: 'destroyed', 2: 'destroyed', 3: 'readable' });
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

    it('without an address, says to set VAULT_ADDR', () => {
      expect(() => makeStore({ VAULT_TOKEN: 'x' })).toThrow(/has no Vault address: VAULT_ADDR is not set and the plan names none/);
    });

    it('rotation-plans/payments.yaml is a valid plan publishing to Vault', async () => {
      const result = await loadPlan(path.resolve('rotation-plans/payments.yaml'));
      expect(result.ok ? 'ok' : result.problems.map((p) => `${p.field}: ${p.message}`)).toBe('ok');
      if (result.ok) expect(result.loaded.plan.publish.map((t) => t.type)).toEqual(['vault-kv2']);
    });
  });
});

describe('on a persistent OpenBao (raft)', () => {
  let bao: OpenBao;
  beforeAll(async () => {
    bao = await startOpenBao('raft');
  });
  afterAll(() => bao?.stop());

  it('a sealed server is named as sealed; once unsealed, the same store goes on', async () => {
    const { store } = makeStore({ VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken });
    const key = newCredential();
    await store.publish(key, context);
    await bao.seal();
    try {
      const e = await failure(store.readBack());
      expect(e.code).toBe('vault-sealed');
      expect(e.message).toBe(`Vault at ${bao.address} is sealed`);
      expect(e.hint).toContain('vault operator unseal');
    } finally {
      await bao.unseal();
    }
    expect(shown(await store.readBack())).toBe(shown(key));
  });
});

// ---- what OpenBao cannot do here: the hand-written server (test/peers/vault-kv2-server.ts) ----------

describe('on the KV v2 test server', () => {
  let server: VaultTestServer;
  const WRITER: Policy = Object.fromEntries(
    ['data', 'metadata', 'delete', 'undelete', 'destroy'].map((kind) => [`secret/${kind}/payments/*`, ['create', 'read', 'update'] as Policy[string]]),
  );
  beforeAll(async () => {
    server = await startVaultKv2Server();
  });
  afterAll(() => server?.close());
  const make = (plan: Record<string, unknown> = {}, env?: NodeJS.ProcessEnv) =>
    makeStore(env ?? { VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken }, plan);

  describe('Kubernetes auth (needs a TokenReview API)', () => {
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

  describe('injected faults: no secret in any error', () => {
    it('a failing write: the HTTP answer echoes the request body, the error does not', async () => {
      const { store } = make();
      server.intercept = (r) =>
        r.method === 'POST' && r.path.includes('/data/') ? { status: 500, body: { errors: [`internal error storing ${JSON.stringify(r.body)}`] } } : undefined;
      const key = newCredential();
      const e = await failure(store.publish(key, context));
      server.intercept = undefined;
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
      server.intercept = undefined;
      expect(e.code).toBe('provider-timeout');
      expect(e.message).toContain('write the secret got no answer within 200ms');
      expect(everything(e).includes(key.secret)).toBe(false);
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
  });

  it('answers as OpenBao does where they differed: bad token, custom_metadata after {}, oldest_version, ?list=true', async () => {
    const bao = await startOpenBao();
    try {
      const p = `compare/${randomUUID()}`; // the same path on both
      const answers = async (address: string, root: string) => {
        const api = vaultApi(address, root);
        await api.post(`secret/metadata/${p}`, { custom_metadata: { 'managed-by': 'keyrot' } });
        await api.post(`secret/data/${p}`, { data: { value: 'x' }, options: { cas: 0 } });
        await api.post(`secret/metadata/${p}`, { custom_metadata: {} });
        const badToken = await vaultApi(address, 'not-a-token').get(`secret/data/${p}`);
        const meta = (await api.get(`secret/metadata/${p}`)).body.data;
        const list = await api.get('secret/metadata/compare?list=true');
        return {
          badToken: [badToken.status, badToken.body],
          customMetadata: [(await api.get(`secret/data/${p}`)).body.data.metadata.custom_metadata, meta.custom_metadata],
          versions: [meta.current_version, meta.oldest_version],
          list: [list.status, list.body.data.keys],
        };
      };
      expect(await answers(server.address, server.rootToken)).toEqual(await answers(bao.address, bao.rootToken));
    } finally {
      await bao.stop();
    }
  });

  it('sends the namespace (Vault Enterprise), and warns when TLS verification is off', async () => {
    const made = make({ namespace: 'team-a', tls: { skipVerify: true } });
    await made.store.ownership();
    expect(server.requests.at(-1)).toMatchObject({ namespace: 'team-a' });
    expect(made.store.label).toContain('(namespace team-a)');
    expect(made.notes.join('\n')).toContain('TLS certificate checks are OFF');
  });
});
