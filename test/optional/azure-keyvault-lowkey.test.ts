// The SecretStore contract for azure-keyvault on Lowkey Vault, an independent Key Vault emulator. Its
// app jar is not on any registry this machine reaches, so this file runs only when asked for:
// `KEYROT_LOWKEY_JAR=/path/to/app.jar npm run test:optional` (vitest.config.ts leaves test/optional/
// out of `npm test` otherwise, rather than counting a skipped suite).
import { rmSync } from 'node:fs';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe } from 'vitest';
import { harness, tempDirWith } from '../contracts/azure-keyvault.harness.js';
import { secretStoreContract } from '../contracts/secret-store.contract.js';
import { type LowkeyVault, installLowkeyVault, startLowkeyVault } from '../peers/lowkey-vault.js';

describe('azure-keyvault on Lowkey Vault', () => {
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
