// A generated key rotated through the built binary into Vault KV v2 (the test server) and a file.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { startVaultKv2Server, type VaultTestServer } from '../peers/vault-kv2-server.js';

let vault: VaultTestServer;
let ws: Workspace;
beforeAll(async () => {
  vault = await startVaultKv2Server();
});
afterAll(() => vault.close());
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const env = () => ({ VAULT_ADDR: vault.address, VAULT_TOKEN: vault.rootToken });
const plan = () =>
  ws.plan('api', localPlan('api', {
    drain: '0s',
    soak: '0s',
    publish: [
      { type: 'file', path: 'api-keys.json' },
      { type: 'vault-kv2', mount: 'secret', path: `apps/${path.basename(ws.dir)}`, data: { key_id: '{{keyId}}', api_key: '{{secret}}' } },
    ],
  }));

/** What Vault's latest version serves, as a fingerprint, and which versions still hold data. */
function vaultView() {
  const secret = vault.secret('secret', `apps/${path.basename(ws.dir)}`)!;
  const latest = secret.versions[secret.currentVersion]!;
  const versions = Object.entries(secret.versions).map(([n, v]) => ({ n: Number(n), ...v }));
  return {
    keyId: latest.data?.key_id,
    fingerprint: typeof latest.data?.api_key === 'string' ? fingerprint(latest.data.api_key) : undefined,
    readable: versions.filter((v) => v.data && !v.deleted && !v.destroyed).map((v) => v.n),
    secrets: versions.flatMap((v) => (typeof v.data?.api_key === 'string' ? [v.data.api_key] : [])),
  };
}

describe('rotation into Vault KV v2', () => {
  it('publishes to both targets, then retires the old key from Vault too', async () => {
    const file = plan();
    const first = await keyrot(['run', file], { cwd: ws.dir, env: env() });
    expect(first.code, first.stderr).toBe(0);
    const firstKey = readStore(path.join(ws.dir, 'api-keys.json')).current!;
    expect(vaultView()).toMatchObject({ keyId: firstKey.keyId, fingerprint: fingerprint(firstKey.secret) });
    const seen = [...vaultView().secrets];

    const second = await keyrot(['run', file], { cwd: ws.dir, env: env() });
    expect(second.code, second.stderr).toBe(0);
    const current = readStore(path.join(ws.dir, 'api-keys.json')).current!;
    const view = vaultView();
    expect(view).toMatchObject({ keyId: current.keyId, fingerprint: fingerprint(current.secret) });
    expect(view.readable).toEqual([2]); // the old key's version is gone, the new one serves
    expect(leakedIndexes([first.stdout, first.stderr, second.stdout, second.stderr, ws.allText().replace(ws.read('api-keys.json'), '')].join('\n'), [...seen, ...secretsIn(readStore(path.join(ws.dir, 'api-keys.json')))])).toEqual([]);
  });

  it('a run refused by Vault exits 4 with state saved, and the next run finishes', async () => {
    const file = plan();
    expect((await keyrot(['run', file], { cwd: ws.dir, env: env() })).code).toBe(0);
    const refused = await keyrot(['run', file], { cwd: ws.dir, env: { VAULT_ADDR: vault.address, VAULT_TOKEN: 'hvs.not-a-token' } });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/vault secret\/apps\/.*(token|permission)/i);
    const resumed = await keyrot(['run', file], { cwd: ws.dir, env: env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(vaultView().keyId).toBe(readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId);
  });

  it('revoke takes the leaked key out of Vault at once, then publishes the replacement on top', async () => {
    const file = plan();
    expect((await keyrot(['run', file], { cwd: ws.dir, env: env() })).code).toBe(0);
    const leaked = readStore(path.join(ws.dir, 'api-keys.json')).current!;

    const revoked = await keyrot(['revoke', '--key', leaked.keyId, file], { cwd: ws.dir, env: env() });
    expect(revoked.code, revoked.stderr).toBe(0);
    const current = readStore(path.join(ws.dir, 'api-keys.json')).current!;
    expect(current.keyId).not.toBe(leaked.keyId);
    const view = vaultView();
    expect(view).toMatchObject({ keyId: current.keyId, fingerprint: fingerprint(current.secret) });
    expect(view.readable).toEqual([2]); // the leaked key's version is soft-deleted: no consumer reads it
  });
});
