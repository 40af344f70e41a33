// The SecretStore contract for vault-kv2: always against the KV v2 test server, and also against a
// real Vault when VAULT_ADDR and VAULT_TOKEN are set (mount: KEYROT_TEST_VAULT_MOUNT, default
// "secret"; everything is written under keyrot-contract/ and deleted afterwards).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { vaultKv2StoreSchema } from '../../src/providers/stores/vault-kv2/schema.js';
import { createVaultKv2Store } from '../../src/providers/stores/vault-kv2/store.js';
import { type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { type VaultApi, kvHolds, vaultApi } from '../peers/vault-api.js';
import { type VaultTestServer, startVaultKv2Server } from '../peers/vault-kv2-server.js';
import { PLAN, type StoreUnderTest, secretStoreContract } from './secret-store.contract.js';

interface Target {
  /** Where the store connects (the server, or the proxy in front of a real Vault). */
  address: string;
  token: string;
  namespace?: string;
  mount: string;
  api: VaultApi;
  /** Run `write` between the store's next read and its write. */
  interleave(write: () => Promise<void>): void;
}

function harness(target: Target): StoreUnderTest {
  const { api, mount } = target;
  const path = `keyrot-contract/${randomUUID()}`;
  const env = { VAULT_ADDR: target.address, VAULT_TOKEN: target.token, ...(target.namespace ? { VAULT_NAMESPACE: target.namespace } : {}) };
  const make = (adopt: boolean) =>
    createVaultKv2Store(
      vaultKv2StoreSchema.parse({ type: 'vault-kv2', mount, path, data: { key_id: '{{keyId}}', secret: '{{secret}}' }, adopt }),
      { planName: PLAN, planDir: process.cwd(), stateDir: process.cwd(), env, now: () => new Date(), note: () => undefined },
    );
  const write = async (data: Record<string, string>) => {
    const answer = await api.post(`${mount}/data/${path}`, { data });
    if (answer.status !== 200) throw new Error(`seeding ${mount}/${path} failed: HTTP ${answer.status}`);
  };
  return {
    store: make(false),
    adopting: () => make(true),
    writeUnmanaged: () => write({ key_id: 'by-hand', secret: randomBytes(20).toString('hex') }),
    holds: (secret) => kvHolds(api, mount, path, secret),
    revision: async () => String((await api.get(`${mount}/metadata/${path}`)).body?.data?.current_version ?? 0),
    interleaveWriter() {
      const theirs = randomBytes(20).toString('hex');
      target.interleave(() => write({ key_id: 'other-writer', secret: theirs }));
      return theirs;
    },
    cleanup: async () => void (await api.delete(`${mount}/metadata/${path}`)),
  };
}

describe('vault-kv2 on the KV v2 test server', () => {
  let server: VaultTestServer;
  beforeAll(async () => {
    server = await startVaultKv2Server();
  });
  afterAll(() => server?.close());

  secretStoreContract('vault-kv2 (test server)', async () =>
    harness({
      address: server.address,
      token: server.rootToken,
      mount: 'secret',
      api: vaultApi(server.address, server.rootToken),
      interleave(write) {
        server.beforeDataWrite = async () => {
          server.beforeDataWrite = undefined;
          await write();
        };
      },
    }),
  );
});

const real = { address: process.env.VAULT_ADDR, token: process.env.VAULT_TOKEN };

describe.skipIf(!real.address || !real.token)(`vault-kv2 on a real Vault (${real.address ?? 'VAULT_ADDR not set'})`, () => {
  let proxy: ForwardingProxy;
  beforeAll(async () => {
    proxy = await startForwardingProxy(real.address!, process.env.VAULT_CACERT);
  });
  afterAll(() => proxy?.close());

  secretStoreContract('vault-kv2 (real Vault)', async () => {
    const namespace = process.env.VAULT_NAMESPACE || undefined;
    return harness({
      address: proxy.address,
      token: real.token!,
      namespace,
      mount: process.env.KEYROT_TEST_VAULT_MOUNT ?? 'secret',
      // Through the proxy too, so a custom CA (VAULT_CACERT) is handled in one place.
      api: vaultApi(proxy.address, real.token!, namespace),
      interleave: (write) => proxy.beforeNextDataWrite(write),
    });
  });
});
