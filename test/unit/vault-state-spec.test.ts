// --state vault://<mount>/<prefix>[?settings]: what the URL may say, and what it is refused for.
import { describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { isVaultSpec } from '../../src/state/open.js';
import { parseVaultSpec } from '../../src/state/vault-address.js';

const refused = (spec: string): string => {
  try {
    parseVaultSpec(spec);
  } catch (e) {
    if (e instanceof KeyrotError && e.code === 'usage') return e.message;
    throw e;
  }
  throw new Error(`${spec} was accepted`);
};

describe('--state vault://…', () => {
  it('names a KV v2 mount and a prefix; the token as the vault CLI finds it, a 30 s lease', () => {
    expect(isVaultSpec('vault://secret/keyrot')).toBe(true);
    expect(isVaultSpec('./vault')).toBe(false);
    expect(parseVaultSpec('vault://secret/teams/payments/keyrot/')).toMatchObject({
      mount: 'secret', prefix: 'teams/payments/keyrot', leaseMs: 30_000, auth: { method: 'token' }, connection: { timeout: 30_000 },
    });
  });

  it('takes Kubernetes or AppRole auth, the lease, the timeout, an address and a namespace as settings', () => {
    expect(parseVaultSpec('vault://kv/keyrot?auth=kubernetes&role=keyrot&lease=60s&timeout=10s&namespace=team-a&address=https://vault.internal:8200')).toMatchObject({
      mount: 'kv', leaseMs: 60_000,
      auth: { method: 'kubernetes', role: 'keyrot', mount: 'kubernetes', jwtFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
      connection: { timeout: 10_000, namespace: 'team-a', address: 'https://vault.internal:8200' },
    });
    expect(parseVaultSpec('vault://secret/keyrot?auth=approle&roleIdEnv=ROLE_ID&secretIdFile=/run/secret-id').auth).toMatchObject({ method: 'approle', roleIdEnv: 'ROLE_ID', secretIdFile: '/run/secret-id' });
  });

  it('refuses a credential in the URL, unknown settings, a missing prefix, a bad lease or address, incomplete auth', () => {
    expect(refused('vault://user:s3cr3t@secret/keyrot')).toContain('a credential does not belong in the URL');
    expect(refused('vault://user:s3cr3t@secret/keyrot')).not.toContain('s3cr3t');
    expect(refused('vault://secret/keyrot?token=abc')).toContain('unknown setting token');
    expect(refused('vault://secret')).toContain('name a KV v2 mount and a path under it');
    expect(refused('vault://secret/keyrot?lease=soon')).toContain('lease=soon is not a duration');
    expect(refused('vault://secret/keyrot?address=vault.internal')).toContain('is not a Vault address');
    expect(refused('vault://secret/keyrot?auth=kubernetes')).toContain('role');
  });
});
