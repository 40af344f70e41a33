// The doctor's provider checks that need no other peer: azure-keyvault on the Key Vault test server,
// and the policy readings of the aws-iam and vault-kv2 checks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CredentialUnavailableError } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowsEverything } from '../../src/providers/issuers/aws-iam/admin-access.js';
import { principalOf } from '../../src/providers/issuers/aws-iam/doctor.js';
import { azureKeyVaultStoreSchema } from '../../src/providers/stores/azure-keyvault/schema.js';
import { createAzureKeyVaultStore } from '../../src/providers/stores/azure-keyvault/store.js';
import { missingCapabilities } from '../../src/providers/stores/vault-kv2/doctor.js';
import { type KeyVaultTestServer, startKeyVaultServer } from '../peers/azure-keyvault-server.js';

let server: KeyVaultTestServer;
let dir: string;
beforeAll(async () => {
  server = await startKeyVaultServer();
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-doctor-'));
  writeFileSync(path.join(dir, 'ca.pem'), server.ca);
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const FAST = { attempts: 2, firstDelayMs: 5, maxDelayMs: 10 };
function azureStore(getToken: () => Promise<{ token: string; expiresOnTimestamp: number }>) {
  const config = azureKeyVaultStoreSchema.parse({ type: 'azure-keyvault', vaultUrl: server.vaultUrl, name: 'doctor-secret', disableChallengeResourceVerification: true, tls: { caFile: 'ca.pem' } });
  const ctx = { planName: 'api', planDir: dir, stateDir: dir, env: process.env, now: () => new Date(), note: () => undefined };
  return createAzureKeyVaultStore(config, ctx, { backoff: FAST, credential: { getToken } });
}
const token = (t: string) => async () => ({ token: t, expiresOnTimestamp: Date.now() + 3_600_000 });

describe('azure-keyvault doctor', () => {
  it('a token and a read of the secret\'s properties: both pass', async () => {
    const checks = await azureStore(token(server.createToken(['get', 'list', 'set']))).doctor!();
    expect(checks.map((c) => [c.check, c.status])).toEqual([['credentials', 'pass'], ['permissions', 'pass']]);
  });

  it('a token without secrets/get: the token was acquired, the read is refused with the role to assign', async () => {
    const checks = await azureStore(token(server.createToken(['list']))).doctor!();
    expect(checks.map((c) => [c.check, c.status])).toEqual([['credentials', 'pass'], ['permissions', 'fail']]);
    expect(checks[1]!.error!.hint).toContain('Key Vault Secrets User');
  });

  it('no credential at all: credentials fail', async () => {
    const checks = await azureStore(async () => {
      throw new CredentialUnavailableError('DefaultAzureCredential failed to retrieve a token.');
    }).doctor!();
    expect(checks).toEqual([expect.objectContaining({ check: 'credentials', status: 'fail' })]);
  });
});

describe('policy readings', () => {
  it('admin-level: "*" on "*" as a string or a list, URL-encoded as IAM returns it; anything narrower is not', () => {
    const doc = (statement: unknown) => encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: statement }));
    expect(allowsEverything(doc({ Effect: 'Allow', Action: '*', Resource: '*' }))).toBe(true);
    expect(allowsEverything(doc([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }, { Effect: 'Allow', Action: ['*'], Resource: ['*'] }]))).toBe(true);
    expect(allowsEverything(doc({ Effect: 'Deny', Action: '*', Resource: '*' }))).toBe(false);
    expect(allowsEverything(doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' }))).toBe(false);
    expect(allowsEverything(doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::bucket/*' }))).toBe(false);
    expect(allowsEverything('not json')).toBe(false);
  });

  it('the principal simulated: an assumed-role session as its role; root is said so', () => {
    expect(principalOf('arn:aws:sts::123456789012:assumed-role/keyrot-rotator/keyrot-42')).toEqual({ arn: 'arn:aws:iam::123456789012:role/keyrot-rotator' });
    expect(principalOf('arn:aws:iam::123456789012:user/ci')).toEqual({ arn: 'arn:aws:iam::123456789012:user/ci' });
    expect(principalOf('arn:aws:iam::123456789012:root')).toEqual({ root: true });
  });

  it('Vault capabilities: root grants all, deny none, else exactly what is listed', () => {
    expect(missingCapabilities(['root'], ['update'])).toEqual([]);
    expect(missingCapabilities(['deny'], ['read', 'update'])).toEqual(['read', 'update']);
    expect(missingCapabilities(['create', 'read'], ['create', 'read', 'update'])).toEqual(['update']);
  });
});
