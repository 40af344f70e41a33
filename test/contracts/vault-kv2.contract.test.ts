// The SecretStore contract for vault-kv2, against OpenBao 2.7.2 (a real Vault-compatible server,
// test/peers/openbao.ts; everything is written under keyrot-contract/ and deleted afterwards). A
// forwarding proxy in front of it puts a concurrent writer between the store's read and its write.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { vaultKv2StoreSchema } from '../../src/providers/stores/vault-kv2/schema.js';
import { createVaultKv2Store } from '../../src/providers/stores/vault-kv2/store.js';
import { type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { type VaultApi, kvHolds, vaultApi } from '../peers/vault-api.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { PLAN, type StoreUnderTest, secretStoreContract } from './secret-store.contract.js';

interface Target {
  /** Where the store connects: the proxy in front of the server. */
  address: string;
  token: string;
  mount: string;
  api: VaultApi;
  /** Run `write` between the store's next read and its write. */
  interleave(write: () => Promise<void>): void;
}

function harness(target: Target): StoreUnderTest {
  const { api, mount } = target;
  const path = `keyrot-contract/${randomUUID()}`;
  const env = { VAULT_ADDR: target.address, VAULT_TOKEN: target.token };
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

describe('vault-kv2 on OpenBao', () => {
  let bao: OpenBao;
  let proxy: ForwardingProxy;
  beforeAll(async () => {
    bao = await startOpenBao();
    proxy = await startForwardingProxy(bao.address);
  });
  afterAll(async () => {
    await proxy?.close();
    await bao?.stop();
  });

  secretStoreContract('vault-kv2 (OpenBao)', async () =>
    harness({
      address: proxy.address,
      token: bao.rootToken,
      mount: 'secret',
      api: vaultApi(bao.address, bao.rootToken),
      interleave: (write) => proxy.beforeNextDataWrite(write),
    }),
  );
});
