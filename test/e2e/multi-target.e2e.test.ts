// One AWS IAM key (moto) published by the built binary to three targets at once: Secrets Manager
// (moto), Vault KV v2 (OpenBao, behind a forwarding proxy) and Azure Key Vault (the test server, signed in through
// DefaultAzureCredential's managed identity path). Then keyrot is killed mid-publish, after the first
// target got the new secret, and the next run finishes every target from that stored copy.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { type CliResult, requireBuild, startKeyrot } from '../helpers/cli.js';
import { leakedIndexes, readState } from '../helpers/inspect.js';
import { type Workspace, workspace } from '../helpers/workspace.js';
import { type KeyVaultTestServer, startKeyVaultServer } from '../peers/azure-keyvault-server.js';
import { type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { type Moto, startMoto } from '../peers/moto.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';

const TESTING = { accessKeyId: 'testing', secretAccessKey: 'testing' }; // accepted while moto's signature checks are off
const USER = 'payments-service';
const STATE = '.keyrot-state';

let moto: Moto;
let vault: OpenBao;
let vaultProxy: ForwardingProxy;
let azure: KeyVaultTestServer;
let ws: Workspace;

beforeAll(async () => {
  requireBuild();
  [moto, vault, azure] = await Promise.all([startMoto(), startOpenBao(), startKeyVaultServer()]);
  vaultProxy = await startForwardingProxy(vault.address);
}, 300_000);
afterAll(async () => {
  await vaultProxy?.close();
  await Promise.all([moto?.stop(), vault?.stop(), azure?.close()]);
});
beforeEach(async () => {
  await moto.reset();
  await new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: TESTING }).send(new CreateUserCommand({ UserName: USER }));
  ws = workspace();
  ws.write('kv-ca.pem', azure.ca);
});
afterEach(() => {
  ws.cleanup();
  azure.freezeTime(undefined);
});

/** The built binary, with credentials from the environment only (never the host's ~/.aws or az login). */
function run(plan: string): { child: ReturnType<typeof startKeyrot>['child']; done: Promise<CliResult> } {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AWS_|AZURE_|IDENTITY_|MSI_|VAULT_|KEYROT_)/.test(k)),
  );
  const noFile = path.join(ws.dir, 'no-aws-config');
  return startKeyrot(['run', '--yes', '--state', STATE, plan], {
    cwd: ws.dir,
    env: {
      ...inherited,
      AWS_ACCESS_KEY_ID: TESTING.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TESTING.secretAccessKey,
      AWS_CONFIG_FILE: noFile,
      AWS_SHARED_CREDENTIALS_FILE: noFile,
      AWS_EC2_METADATA_DISABLED: 'true',
      VAULT_ADDR: vaultProxy.address,
      VAULT_TOKEN: vault.rootToken,
      ...azure.identityEnv,
    },
  });
}

const plan = () =>
  ws.plan('payments', {
    apiVersion: 'keyrot/v1',
    name: 'payments',
    source: { type: 'aws-iam', user: USER, region: 'us-east-1', endpoint: moto.endpoint, verifyTimeout: '10s' },
    publish: [
      {
        type: 'aws-secrets-manager', region: 'us-east-1', secretId: 'payments/aws', endpoint: moto.endpoint,
        data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' },
      },
      { type: 'vault-kv2', mount: 'secret', path: 'payments/aws', data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' } },
      {
        type: 'azure-keyvault', vaultUrl: azure.vaultUrl, name: 'payments-aws', value: '{{secret}}', tags: { keyId: '{{keyId}}' },
        disableChallengeResourceVerification: true, tls: { caFile: 'kv-ca.pem' },
      },
    ],
    verify: true,
    drain: '0s',
    soak: '0s',
  });

// ---- what each target serves, as key id + fingerprint (never the secret) ----------------------

interface Served {
  keyId?: string;
  fingerprint?: string;
}

async function secretsManager(): Promise<Served & { secret?: string }> {
  const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: TESTING });
  const out = await sm.send(new GetSecretValueCommand({ SecretId: 'payments/aws' })).catch(() => undefined);
  if (!out?.SecretString) return {};
  const data = JSON.parse(out.SecretString) as Record<string, string>;
  return { keyId: data.access_key_id, fingerprint: fingerprint(data.secret_access_key!), secret: data.secret_access_key };
}

async function vaultKv(): Promise<Served> {
  const data = (await vault.root.get('secret/data/payments/aws')).body?.data?.data as Record<string, string> | undefined;
  return data ? { keyId: data.access_key_id, fingerprint: fingerprint(data.secret_access_key!) } : {};
}

function keyVault(): Served {
  const latest = azure.versions('payments-aws').at(-1);
  return latest?.enabled ? { keyId: latest.tags['keyrot-key-id'], fingerprint: fingerprint(latest.value) } : {};
}

const served = async () => ({ secretsManager: (({ secret: _, ...s }) => s)(await secretsManager()), vault: await vaultKv(), azure: keyVault() });

async function iamKeys(): Promise<string[]> {
  const out = await new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: TESTING }).send(new ListAccessKeysCommand({ UserName: USER }));
  return (out.AccessKeyMetadata ?? []).map((k) => `${k.AccessKeyId} ${k.Status}`);
}

/** keyrot's own files (state, audit log), for secret scans. */
function keyrotFiles(): string {
  const dir = path.join(ws.dir, STATE);
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)]));
  return existsSync(dir) ? walk(dir).map((f) => readFileSync(f, 'utf8')).join('\n') : '';
}

describe('one IAM key published to Secrets Manager, Vault and Key Vault', () => {
  it('rotates across all three; killed mid-publish, the next run completes every target with the same key', async () => {
    const file = plan();
    // As real Key Vault can: every version in the same second, and the newer version with the lower id,
    // so Key Vault's list (by id) puts k2's version before k1's.
    azure.freezeTime(Math.floor(Date.now() / 1000));
    azure.nextVersionIds('f1'.padEnd(32, '0'), '0b'.padEnd(32, '0'));

    // First rotation: the user has no key yet.
    const first = await run(file).done;
    expect(first.code, first.stderr).toBe(0);
    const k1 = await secretsManager();
    expect(await served()).toEqual({ secretsManager: { keyId: k1.keyId, fingerprint: k1.fingerprint }, vault: { keyId: k1.keyId, fingerprint: k1.fingerprint }, azure: { keyId: k1.keyId, fingerprint: k1.fingerprint } });

    // Second rotation: SIGKILL the moment the second target (Vault) is asked to store the new key.
    const killedRun = run(file);
    let killedAtVaultWrite = false;
    vaultProxy.beforeNextDataWrite(async () => {
      killedAtVaultWrite = true;
      killedRun.child.kill('SIGKILL');
      return { status: 503, body: { errors: ['test: keyrot was killed'] } }; // the write never reaches OpenBao
    });
    const killed = await killedRun.done;
    expect(killedAtVaultWrite, killed.stderr).toBe(true);
    expect(killed.signal).toBe('SIGKILL');

    const k2 = await secretsManager();
    expect(k2.keyId).not.toBe(k1.keyId); // the first target got the new key ...
    expect((await vaultKv()).keyId).toBe(k1.keyId); // ... the others still serve the old one
    expect(keyVault().keyId).toBe(k1.keyId);
    expect(readState(path.join(ws.dir, STATE), 'payments')).toMatchObject({ phase: 'publish', newKeyId: k2.keyId, published: [expect.stringMatching(/^0:aws-secrets-manager:/)] });

    // Resume: the new secret is read back from Secrets Manager; no new key is created. Key Vault
    // throttles the first requests, without Retry-After (as it usually does): keyrot backs off and goes on.
    const throttledBefore = azure.requests.filter((r) => r.status === 429).length;
    azure.throttle(3);
    const resumed = await run(file).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`recovered key ${k2.keyId} (${k2.fingerprint}) from aws-secrets-manager payments/aws`);
    const expected = { keyId: k2.keyId, fingerprint: k2.fingerprint };
    expect(await served()).toEqual({ secretsManager: expected, vault: expected, azure: expected });
    expect(await iamKeys()).toEqual([`${k2.keyId} Active`]); // the old key went through deactivate, soak (0s) and delete

    // The old key is retired everywhere: Vault's version destroyed, Key Vault's disabled, Secrets Manager's without a label.
    const vaultVersions = (await vault.root.get('secret/metadata/payments/aws')).body.data.versions as Record<string, { destroyed: boolean }>;
    expect(Object.entries(vaultVersions).map(([n, v]) => [n, v.destroyed])).toEqual([['1', true], ['2', false]]);
    expect(azure.versions('payments-aws').map((v) => [v.tags['keyrot-key-id'], v.enabled])).toEqual([[k1.keyId, false], [k2.keyId, true]]);
    expect(azure.versions('payments-aws').map((v) => v.id.slice(0, 2))).toEqual(['f1', '0b']);
    expect(azure.requests.filter((r) => r.status === 429).length - throttledBefore).toBe(3);
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: TESTING });
    const stages = Object.values((await sm.send(new DescribeSecretCommand({ SecretId: 'payments/aws' }))).VersionIdsToStages ?? {});
    expect(stages.filter((s) => s.length > 0)).toEqual([['AWSCURRENT']]);

    // No secret in anything keyrot printed or wrote.
    const shown = [first, killed, resumed].flatMap((r) => [r.stdout, r.stderr]).join('\n') + keyrotFiles();
    expect(leakedIndexes(shown, [k1.secret!, k2.secret!])).toEqual([]);
  }, 120_000);
});
