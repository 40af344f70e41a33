// The SecretStore contract for azure-keyvault against the Key Vault test server, as it is and as real
// Key Vault can make it for a naive store. Lowkey Vault runs the same contract when asked for
// (test/optional/azure-keyvault-lowkey.test.ts): its jar is not on Maven Central, so it cannot be
// installed here by default. The server's own certificate is trusted through the store's tls.caFile only.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe } from 'vitest';
import { type KeyVaultTestServer, startKeyVaultServer } from '../peers/azure-keyvault-server.js';
import { harness, tempDirWith, testServerTarget } from './azure-keyvault.harness.js';
import { secretStoreContract } from './secret-store.contract.js';

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
