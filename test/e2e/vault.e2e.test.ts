// A generated key rotated through the built binary into Vault KV v2 on OpenBao 2.7.2 (and a file), as
// an operator would live it: policies too narrow for one phase, a token that runs out, a sealed or
// restarted server, a KV v1 mount, a hand-written secret, and another writer racing keyrot.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes, readLedger, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { documentedPolicy, versionStates } from '../peers/vault-api.js';

const KINDS = ['data', 'metadata', 'delete', 'undelete', 'destroy'] as const;
type Kind = (typeof KINDS)[number];
/** A policy on secret/<kind>/apps/* for the given kinds; `readOnly` gets only "read". */
const appsPolicy = (kinds: readonly Kind[], readOnly?: Kind) =>
  [...kinds, ...(readOnly ? [readOnly] : [])]
    .map((kind) => `path "secret/${kind}/apps/*" { capabilities = [${kind === readOnly ? '"read"' : '"create", "read", "update"'}] }`)
    .join('\n');

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const vaultPath = () => `apps/${path.basename(ws.dir)}`;
const plan = (vault: Record<string, unknown> = {}) =>
  ws.plan('api', localPlan('api', {
    drain: '0s',
    soak: '0s',
    publish: [
      { type: 'file', path: 'api-keys.json' },
      { type: 'vault-kv2', mount: 'secret', path: vaultPath(), data: { key_id: '{{keyId}}', api_key: '{{secret}}' }, ...vault },
    ],
  }));
const current = () => readStore(path.join(ws.dir, 'api-keys.json')).current!;
const run = (args: string[], env: NodeJS.ProcessEnv) => keyrot(args, { cwd: ws.dir, env });

/** What a server holds at the plan's path: the latest version's key, and the state of every version. */
async function inspect(bao: OpenBao, p = vaultPath()) {
  const latest = (await bao.root.get(`secret/data/${p}`)).body?.data?.data as Record<string, string> | undefined;
  return {
    keyId: latest?.key_id,
    fingerprint: latest?.api_key === undefined ? undefined : fingerprint(latest.api_key),
    versions: await versionStates(bao.root, 'secret', p),
  };
}

describe('on an OpenBao dev server', () => {
  let bao: OpenBao;
  let token: string;
  beforeAll(async () => {
    bao = await startOpenBao();
    await bao.policy('apps', appsPolicy(KINDS));
    token = await bao.token(['apps']);
  });
  afterAll(() => bao?.stop());
  beforeEach(() => bao.policy('apps', appsPolicy(KINDS)));
  const env = () => ({ VAULT_ADDR: bao.address, VAULT_TOKEN: token });

  it('publishes to both targets, then retires the old key from Vault too', async () => {
    const file = plan();
    const first = await run(['run', file], env());
    expect(first.code, first.stderr).toBe(0);
    const firstKey = current();
    expect(await inspect(bao)).toMatchObject({ keyId: firstKey.keyId, fingerprint: fingerprint(firstKey.secret) });

    const second = await run(['run', '--yes', file], env());
    expect(second.code, second.stderr).toBe(0);
    expect(await inspect(bao)).toEqual({ keyId: current().keyId, fingerprint: fingerprint(current().secret), versions: { 1: 'destroyed', 2: 'readable' } });
    const output = [first.stdout, first.stderr, second.stdout, second.stderr, ws.allText().replace(ws.read('api-keys.json'), '')].join('\n');
    expect(leakedIndexes(output, [firstKey.secret, ...secretsIn(readStore(path.join(ws.dir, 'api-keys.json')))])).toEqual([]);
  });

  it('a revoked token exits 4 saying to log in again, with state saved; the next run finishes', async () => {
    const file = plan();
    expect((await run(['run', file], env())).code).toBe(0);
    const gone = await bao.token(['apps']);
    await bao.revoke(gone);
    const refused = await run(['run', file], { VAULT_ADDR: bao.address, VAULT_TOKEN: gone });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('token expired or revoked: log in again');
    expect(refused.stderr.includes(gone)).toBe(false);
    const resumed = await run(['run', '--yes', file], env());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await inspect(bao)).keyId).toBe(current().keyId);
  });

  it('a token that expires during the run: exit 4 at the next Vault call, and a run with a fresh token finishes', async () => {
    const file = ws.plan('api', { ...localPlan('api'), drain: '5s', soak: '0s', publish: [{ type: 'vault-kv2', mount: 'secret', path: vaultPath(), data: { key_id: '{{keyId}}', api_key: '{{secret}}' } }] });
    expect((await run(['run', file], env())).code).toBe(0);
    // Valid when the run starts (with time to spare on a busy machine), gone by the end of its 5s
    // overlap window, when deactivate calls Vault.
    const shortLived = await bao.token(['apps'], { ttl: '4s' });
    const expired = await run(['run', '--yes', file], { VAULT_ADDR: bao.address, VAULT_TOKEN: shortLived });
    expect(expired.code, expired.stderr).toBe(4);
    expect(expired.stderr).toMatch(/deactivate.*token expired or revoked: log in again \(the token from VAULT_TOKEN/s);
    expect(expired.stderr).not.toContain('permission denied');
    const finished = await run(['run', '--yes', file], env());
    expect(finished.code, finished.stderr).toBe(0);
    expect(await inspect(bao)).toMatchObject({ versions: { 1: 'destroyed', 2: 'readable' } });
  });

  it('revoke takes the leaked key out of Vault at once, then publishes the replacement on top', async () => {
    const file = plan();
    expect((await run(['run', file], env())).code).toBe(0);
    const leaked = current();
    const revoked = await run(['revoke', '--yes', '--key', leaked.keyId, file], env());
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(current().keyId).not.toBe(leaked.keyId);
    // The leaked key's version is destroyed at once: no consumer reads it, no copy is left.
    expect(await inspect(bao)).toEqual({ keyId: current().keyId, fingerprint: fingerprint(current().secret), versions: { 1: 'destroyed', 2: 'readable' } });
  });

  describe('a policy too narrow for one phase: exit 4 naming the path and capability; after the fix a re-run finishes', () => {
    const cases: { phase: string; missing: Kind; needs: string }[] = [
      { phase: 'publish', missing: 'data', needs: '"create/update" on secret/data/' }, // read is left: only the write is refused
      { phase: 'deactivate', missing: 'delete', needs: '"update" on secret/delete/' },
      { phase: 'delete', missing: 'destroy', needs: '"update" on secret/destroy/' },
    ];
    for (const { phase, missing, needs } of cases) {
      it(`${phase}: without secret/${missing}/...`, async () => {
        const file = plan();
        expect((await run(['run', file], env())).code).toBe(0);
        const before = await inspect(bao);
        await bao.policy('apps', appsPolicy(KINDS.filter((k) => k !== missing), missing === 'data' ? 'data' : undefined));
        const refused = await run(['run', '--yes', file], env());
        expect(refused.code, refused.stderr).toBe(4);
        expect(refused.stderr).toContain(`${needs}${vaultPath()}`);
        expect(refused.stderr).toContain(`grant ${needs.replace(' on ', ' on "')}${vaultPath()}"`);
        if (phase === 'publish') expect(await inspect(bao)).toEqual(before); // nothing written without the grant

        await bao.policy('apps', appsPolicy(KINDS));
        const fixed = await run(['run', '--yes', file], env());
        expect(fixed.code, fixed.stderr).toBe(0);
        expect(await inspect(bao)).toEqual({ keyId: current().keyId, fingerprint: fingerprint(current().secret), versions: { 1: 'destroyed', 2: 'readable' } });
      });
    }
  });

  it('a KV version 1 mount is refused before any key is created', async () => {
    await bao.mountKv('kv1', 1);
    const file = plan({ mount: 'kv1' });
    const refused = await run(['run', file], { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('has no KV v2 engine at "kv1/": it is KV version 1');
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api')).toEqual([]);
  });

  it('a secret written by hand is refused without adopt; adopted, it is retired with the first key keyrot retires', async () => {
    await bao.root.post(`secret/data/${vaultPath()}`, { data: { api_key: randomBytes(20).toString('hex') } });
    const refused = await run(['run', plan()], env());
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('holds a secret keyrot does not manage');
    expect(refused.stderr).toContain('adopt: true');
    expect(await inspect(bao)).toMatchObject({ versions: { 1: 'readable' } });

    const file = plan({ adopt: true });
    expect((await run(['run', file], env())).code).toBe(0); // a first key: nothing to retire yet
    expect(await inspect(bao)).toMatchObject({ keyId: current().keyId, versions: { 1: 'readable', 2: 'readable' } });
    const rotated = await run(['run', '--yes', file], env());
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(await inspect(bao)).toMatchObject({ keyId: current().keyId, versions: { 1: 'destroyed', 2: 'destroyed', 3: 'readable' } });
  });

  describe('another writer between keyrot read and write', () => {
    let proxy: ForwardingProxy;
    beforeAll(async () => {
      proxy = await startForwardingProxy(bao.address);
    });
    afterAll(() => proxy?.close());

    it('conflicts (exit 3, nothing overwritten); the re-run retires the old key, never the other writer\'s version', async () => {
      const file = plan();
      const viaProxy = { VAULT_ADDR: proxy.address, VAULT_TOKEN: token };
      expect((await run(['run', file], viaProxy)).code).toBe(0);
      const old = current();
      const theirs = randomBytes(20).toString('hex');
      proxy.beforeNextDataWrite(async () => void (await bao.root.post(`secret/data/${vaultPath()}`, { data: { api_key: theirs } })));
      const conflict = await run(['run', '--yes', file], viaProxy);
      expect(conflict.code, conflict.stderr).toBe(3);
      expect(conflict.stderr).toContain('was changed by another writer while keyrot was publishing');
      expect(await inspect(bao)).toMatchObject({ fingerprint: fingerprint(theirs), versions: { 1: 'readable', 2: 'readable' } });

      const rerun = await run(['run', '--yes', file], viaProxy);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(current().keyId).not.toBe(old.keyId);
      // v1 held the old key: destroyed. v2 is the other writer's: untouched. v3 serves the new key.
      expect(await inspect(bao)).toEqual({ keyId: current().keyId, fingerprint: fingerprint(current().secret), versions: { 1: 'destroyed', 2: 'readable', 3: 'readable' } });
      const v2 = (await bao.root.get(`secret/data/${vaultPath()}?version=2`)).body.data.data.api_key as string;
      expect(fingerprint(v2)).toBe(fingerprint(theirs));
    });
  });
});

describe('AppRole with exactly the policy rotation-plans/payments.yaml documents', () => {
  let bao: OpenBao;
  beforeAll(async () => {
    bao = await startOpenBao();
  });
  afterAll(() => bao?.stop());

  it('rotates twice with no root token anywhere in keyrot\'s environment', async () => {
    await bao.policy('payments', await documentedPolicy(path.resolve('rotation-plans/payments.yaml')));
    const { roleId, secretId } = await bao.appRole('payments', ['payments']);
    const file = plan({ path: 'payments/aws', auth: { method: 'approle', roleIdEnv: 'VAULT_ROLE_ID', secretIdEnv: 'VAULT_SECRET_ID' } });
    const env = { VAULT_ADDR: bao.address, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId, VAULT_TOKEN: '' };
    const first = await run(['run', file], env);
    expect(first.code, first.stderr).toBe(0);
    const second = await run(['run', '--yes', file], env);
    expect(second.code, second.stderr).toBe(0);
    expect(await inspect(bao, 'payments/aws')).toEqual({ keyId: current().keyId, fingerprint: fingerprint(current().secret), versions: { 1: 'destroyed', 2: 'readable' } });
  });
});

describe('on a persistent OpenBao (raft storage)', () => {
  let bao: OpenBao;
  beforeAll(async () => {
    bao = await startOpenBao('raft');
  });
  afterAll(() => bao?.stop());
  const env = () => ({ VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken });

  it('sealed: exit 4 saying to unseal, state saved; once unsealed the next run finishes', async () => {
    const file = plan();
    expect((await run(['run', file], env())).code).toBe(0);
    await bao.seal();
    try {
      const sealed = await run(['run', '--yes', file], env());
      expect(sealed.code).toBe(4);
      expect(sealed.stderr).toContain(`Vault at ${bao.address} is sealed`);
      expect(sealed.stderr).toContain('vault operator unseal');
    } finally {
      await bao.unseal();
    }
    const resumed = await run(['run', '--yes', file], env());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await inspect(bao)).toEqual({ keyId: current().keyId, fingerprint: fingerprint(current().secret), versions: { 1: 'destroyed', 2: 'readable' } });
  });

  it('killed between runs: exit 4 while it is down; restarted (and unsealed), the next run finishes on what it had stored', async () => {
    const file = plan();
    expect((await run(['run', file], env())).code).toBe(0);
    const first = current();
    await bao.kill();
    const down = await run(['run', '--yes', file], env());
    expect(down.code).toBe(4);
    expect(down.stderr).toContain(`cannot connect to ${bao.address} (connection refused)`);

    await bao.restart();
    expect(await inspect(bao)).toMatchObject({ keyId: first.keyId, fingerprint: fingerprint(first.secret) }); // raft kept it
    const resumed = await run(['run', '--yes', file], env());
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await inspect(bao)).toEqual({ keyId: current().keyId, fingerprint: fingerprint(current().secret), versions: { 1: 'destroyed', 2: 'readable' } });
  });
});
