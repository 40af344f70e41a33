// The SecretStore contract for azure-keyvault: always against the Key Vault test server, and also
// against Lowkey Vault when asked (KEYROT_TEST_LOWKEY=1, or KEYROT_LOWKEY_JAR=/path/to/jar): its jar is
// not on Maven Central, so it cannot be installed here by default. Each server's own certificate is
// trusted through the store's tls.caFile only.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe } from 'vitest';
import { azureKeyVaultStoreSchema } from '../../src/providers/stores/azure-keyvault/schema.js';
import { createAzureKeyVaultStore } from '../../src/providers/stores/azure-keyvault/store.js';
import { type KeyVaultTestServer, startKeyVaultServer } from '../peers/azure-keyvault-server.js';
import { type LowkeyVault, installLowkeyVault, startLowkeyVault } from '../peers/lowkey-vault.js';
import { PLAN, type StoreUnderTest, secretStoreContract } from './secret-store.contract.js';

interface Target {
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

function harness(target: Target, dir: string): StoreUnderTest {
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

const testServerTarget = (server: KeyVaultTestServer): Target => ({
  vaultUrl: server.vaultUrl,
  ca: server.ca,
  token: server.token,
  put: async (name, value) => void server.put(name, value),
  readable: async (name) => {
    const versions = server.versions(name);
    return { values: versions.filter((v) => v.enabled).map((v) => v.value), count: versions.length };
  },
});

const tempDirWith = (ca: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-kv-contract-'));
  writeFileSync(path.join(dir, 'ca.pem'), ca);
  return dir;
};

describe('azure-keyvault on the Key Vault test server', () => {
  let server: KeyVaultTestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startKeyVaultServer();
    dir = tempDirWith(server.ca);
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  secretStoreContract('azure-keyvault (test server)', async () => harness(testServerTarget(server), dir));

  // Again, as real Key Vault can make it for a naive store: every version written in one second, each
  // new version with a lower id than the one before (so the list, in id order, is the reverse of the
  // order they were written), and a throttling burst without Retry-After at the start of every test.
  let next = 0xffff;
  secretStoreContract('azure-keyvault (test server: one second, ids against time, throttled)', async () => {
    server.freezeTime(1_790_000_000);
    server.nextVersionIds(...Array.from({ length: 20 }, () => (next--).toString(16).padStart(4, '0').padEnd(32, '0')));
    server.throttle(3);
    return harness(testServerTarget(server), dir);
  });
});

const lowkeyWanted = process.env.KEYROT_TEST_LOWKEY === '1' || Boolean(process.env.KEYROT_LOWKEY_JAR);

describe.skipIf(!lowkeyWanted)('azure-keyvault on Lowkey Vault', () => {
  let lowkey: LowkeyVault;
  let client: SecretClient;
  let dir: string;
  beforeAll(async () => {
    const installed = await installLowkeyVault();
    if ('unavailable' in installed) throw new Error(`Lowkey Vault was asked for but cannot be installed: ${installed.unavailable}`);
    lowkey = await startLowkeyVault(installed.jar);
    dir = tempDirWith(lowkey.ca);
    const credential = { getToken: async () => ({ token: 'lowkey-accepts-any-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    client = new SecretClient(lowkey.vaultUrl, credential, { serviceVersion: '7.6', disableChallengeResourceVerification: true, tlsOptions: { ca: lowkey.ca } });
  }, 300_000);
  afterAll(async () => {
    await lowkey?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  secretStoreContract('azure-keyvault (Lowkey Vault)', async () =>
    harness(
      {
        vaultUrl: lowkey.vaultUrl,
        ca: lowkey.ca,
        token: 'lowkey-accepts-any-token',
        put: async (name, value) => void (await client.setSecret(name, value)),
        readable: async (name) => {
          const values: string[] = [];
          let count = 0;
          try {
            for await (const p of client.listPropertiesOfSecretVersions(name)) {
              count += 1;
              if (p.enabled !== false) values.push((await client.getSecret(name, { version: p.version })).value ?? '');
            }
          } catch (e) {
            if ((e as { statusCode?: number }).statusCode !== 404) throw e;
          }
          return { values, count };
        },
      },
      dir,
    ),
  );
});
