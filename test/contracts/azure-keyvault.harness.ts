// The azure-keyvault store under the SecretStore contract, against any Key Vault that speaks the REST
// API: the test server (always) or Lowkey Vault (test/optional/, when asked for).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { azureKeyVaultStoreSchema } from '../../src/providers/stores/azure-keyvault/schema.js';
import { createAzureKeyVaultStore } from '../../src/providers/stores/azure-keyvault/store.js';
import type { KeyVaultTestServer } from '../peers/azure-keyvault-server.js';
import { PLAN, type StoreUnderTest } from './secret-store.contract.js';

export interface Target {
  vaultUrl: string;
  ca: string;
  token: string;
  /** Write a version as a person would: no keyrot tags. */
  put(name: string, value: string): Promise<void>;
  /** The values of the versions anyone can read (enabled ones), and how many versions there are. */
  readable(name: string): Promise<{ values: string[]; count: number }>;
}

/** Key Vault's backoff with the same attempts, in milliseconds instead of seconds. */
const FAST = { attempts: 6, firstDelayMs: 5, maxDelayMs: 40 };

export function harness(target: Target, dir: string): StoreUnderTest {
  const name = `keyrot-contract-${randomBytes(6).toString('hex')}`;
  const credential = { getToken: async () => ({ token: target.token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const ctx = { planName: PLAN, planDir: dir, stateDir: dir, env: {}, now: () => new Date(), note: () => undefined };
  const make = (adopt: boolean) =>
    createAzureKeyVaultStore(
      azureKeyVaultStoreSchema.parse({
        type: 'azure-keyvault', vaultUrl: target.vaultUrl, name, tags: { keyId: '{{keyId}}' }, adopt,
        disableChallengeResourceVerification: true, tls: { caFile: 'ca.pem' },
      }),
      ctx,
      { credential, backoff: FAST },
    );
  return {
    store: make(false),
    adopting: () => make(true),
    writeUnmanaged: () => target.put(name, randomBytes(20).toString('hex')),
    writeOver: () => target.put(name, randomBytes(20).toString('hex')),
    // Key Vault cannot delete one version: "holds" means a version anyone can still read. A disabled
    // version keeps its value at rest, but Key Vault returns it to no one until it is enabled again.
    holds: async (secret) => (await target.readable(name)).values.some((v) => v.includes(secret)),
    revision: async () => String((await target.readable(name)).count),
  };
}

export const testServerTarget = (server: KeyVaultTestServer): Target => ({
  vaultUrl: server.vaultUrl,
  ca: server.ca,
  token: server.token,
  put: async (name, value) => void server.put(name, value),
  readable: async (name) => {
    const versions = server.versions(name);
    return { values: versions.filter((v) => v.enabled).map((v) => v.value), count: versions.length };
  },
});

export const tempDirWith = (ca: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-kv-contract-'));
  writeFileSync(path.join(dir, 'ca.pem'), ca);
  return dir;
};
