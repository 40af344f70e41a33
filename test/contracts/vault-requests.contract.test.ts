// What keyrot asks Vault, counted at a proxy in front of OpenBao (issue 17: a fleet's requests per plan
// stay constant, and none is spent re-reading what this process just wrote), and that the requests
// saved weaken no check: a write by another process in between is still refused or kept.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newRotation } from '../../src/engine/rotation.js';
import { vaultKv2StoreSchema } from '../../src/providers/stores/vault-kv2/schema.js';
import { createVaultKv2Store } from '../../src/providers/stores/vault-kv2/store.js';
import { openState } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/store.js';
import { type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { failure } from './secret-store.contract.js';

let bao: OpenBao;
let proxy: ForwardingProxy;
let seen: string[] = [];
beforeAll(async () => {
  bao = await startOpenBao();
  proxy = await startForwardingProxy(bao.address);
  proxy.injectFaults((req) => void seen.push(`${req.method} ${(req.url ?? '').replace(/\?.*/, '')}`));
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await bao?.stop();
});
beforeEach(() => {
  seen = [];
});

const holder = () => ({ host: os.hostname(), pid: process.pid, command: 'keyrot run requests.yaml', since: new Date().toISOString() });
const count = (method: string, part: string) => seen.filter((r) => r.startsWith(`${method} `) && r.includes(part)).length;
const audit = (plan: string, action: string) => ({ time: new Date().toISOString(), plan, rotationId: 'r1', phase: 'create', action, outcome: 'ok' as const });

describe('vault state: no read of what this process just wrote', () => {
  let spec: string;
  let env: NodeJS.ProcessEnv;
  const open = (): Promise<StateStore> => openState(spec, env).of({ dir: process.cwd() });
  beforeEach(() => {
    spec = `vault://secret/keyrot-requests/${randomUUID()}`;
    env = { VAULT_ADDR: proxy.address, VAULT_TOKEN: bao.rootToken };
  });

  it('saves after a load or a save with one write each; a save by another process in between is still refused', async () => {
    const store = await open();
    const lock = await store.lock('p', holder(), 0);
    const first = await store.save(newRotation('p', new Date(), 'r1')); // nothing read before: one read, one write
    seen = [];
    const second = await store.save({ ...first, phase: 'publish' });
    await store.save({ ...second, phase: 'verify' });
    expect(count('GET', '/state/')).toBe(0);
    expect(count('POST', '/state/')).toBe(2);
    // A save that changes nothing but updatedAt writes nothing and answers the stored version.
    seen = [];
    const third = (await store.load('p'))!;
    const same = await store.save({ ...third, updatedAt: new Date(Date.now() + 60_000).toISOString() });
    expect(same.version).toBe(third.version);
    expect(count('POST', '/state/')).toBe(0);

    // Another process (a stalled holder's successor, an abandon) writes the record meanwhile.
    const other = await open();
    const theirs = await other.load('p');
    await other.save({ ...theirs!, phase: 'deactivate' });
    const refused = await failure(store.save({ ...second, version: second.version + 1, phase: 'soak' }));
    expect(refused.code).toBe('state-conflict');
    expect((await other.load('p'))?.phase).toBe('deactivate');
    await lock.release();
  });

  it('appends audit records without reading back its own last append; another process\'s append in between is kept', async () => {
    const store = await open();
    const lock = await store.lock('p', holder(), 0);
    await store.audit.append(audit('p', 'one'));
    seen = [];
    await store.audit.append(audit('p', 'two'));
    expect(count('GET', '/audit/')).toBe(0);
    expect(count('POST', '/audit/')).toBe(1);

    await (await open()).audit.append(audit('p', 'theirs'));
    await store.audit.append(audit('p', 'three'));
    await lock.release();
    // Read past the proxy: Node's HTTP server does not parse Vault's LIST method.
    const direct = await openState(spec, { ...env, VAULT_ADDR: bao.address }).of({ dir: process.cwd() });
    expect((await direct.audit.read()).map((r) => r.action)).toEqual(['one', 'two', 'theirs', 'three']);
  });

  it('reads a plan\'s key ledger once while holding its lock; a save still carries cas, and without the lock every load reads', async () => {
    const store = await open();
    const lock = await store.lock('p', holder(), 0);
    const ledger = store.ledger('p');
    const empty = await ledger.load();
    const key = { id: 'k1', status: 'active', createdAt: new Date().toISOString(), fingerprint: 'sha256:0' } as const;
    const version = await ledger.save([key], empty.version);
    seen = [];
    const loaded = await ledger.load();
    expect(loaded).toEqual({ keys: [key], version });
    loaded.keys.pop(); // each load is the caller's own copy
    expect((await ledger.load()).keys).toEqual([key]);
    expect(count('GET', '/ledger/')).toBe(0);

    // A write that broke the rule (no lock) is still not overwritten: cas refuses our save.
    const other = (await open()).ledger('p');
    await other.save([key, { ...key, id: 'k2' }], (await other.load()).version);
    expect((await failure(ledger.save([], version))).code).toBe('state-conflict');
    await lock.release();

    seen = [];
    await ledger.load();
    await ledger.load();
    expect(count('GET', '/ledger/')).toBe(2);
  });
});

describe('vault-kv2 targets on one Vault', () => {
  it('log in and check the mount once for all plans of a run, not once per plan', async () => {
    const env = { HOME: os.tmpdir(), VAULT_ADDR: proxy.address, VAULT_TOKEN: bao.rootToken };
    const ctx = (planName: string) => ({ planName, planDir: process.cwd(), stateDir: process.cwd(), now: () => new Date(), note: () => undefined, env });
    const prefix = `keyrot-requests-targets/${randomUUID()}`;
    const target = (path: string) => vaultKv2StoreSchema.parse({ type: 'vault-kv2', mount: 'secret', path, data: { api_key: '{{secret}}' } });
    const stores = Array.from({ length: 5 }, (_, i) => createVaultKv2Store(target(`${prefix}/p${i}`), ctx(`p${i}`)));
    await Promise.all(stores.map((s) => s.ownership()));
    expect(count('GET', 'auth/token/lookup-self')).toBe(1);
    expect(count('GET', 'sys/internal/ui/mounts/')).toBe(1);
    expect(count('GET', `/secret/data/${prefix}/`)).toBe(5);

    // A caller with another environment (another token) shares nothing.
    await createVaultKv2Store(target(`${prefix}/q`), { ...ctx('q'), env: { ...env } }).ownership();
    expect(count('GET', 'auth/token/lookup-self')).toBe(2);
  });
});

/**
 * A proxy that forwards the next lock write to OpenBao, lets it take effect, and then drops the
 * connection instead of answering: a write whose answer was lost (a timeout or a reset under load).
 */
async function answerLosingProxy(target: string): Promise<{ address: string; loseNextLockAnswer(): void; close(): Promise<void> }> {
  let armed = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const lose = armed && req.method === 'POST' && /\/data\/.*\/lock\//.test(req.url ?? '');
      if (lose) armed = false;
      const out = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          if (lose) return void req.socket.destroy(); // applied by the server; the answer never arrives
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
        });
      });
      out.on('error', () => res.writeHead(502).end());
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    loseNextLockAnswer: () => void (armed = true),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('vault state: a lock write whose answer is lost', () => {
  it('finds its own lease (its token) on the next look and holds the lock; another process is still refused', async () => {
    const lossy = await answerLosingProxy(bao.address);
    try {
      const spec = `vault://secret/keyrot-requests/${randomUUID()}`;
      const store = await openState(spec, { VAULT_ADDR: lossy.address, VAULT_TOKEN: bao.rootToken }).of({ dir: process.cwd() });
      const other = await openState(spec, { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken }).of({ dir: process.cwd() });
      await store.load('p'); // logged in, mount checked
      lossy.loseNextLockAnswer();
      const lock = await store.lock('p', holder(), 0);
      expect(lock.lost).toBeUndefined();
      const refused = await failure(other.lock('p', { ...holder(), pid: process.pid + 1 }, 0));
      expect(refused.code).toBe('lock-held');
      await lock.release();
      await (await other.lock('p', { ...holder(), pid: process.pid + 1 }, 0)).release();
    } finally {
      await lossy.close();
    }
  });
});
