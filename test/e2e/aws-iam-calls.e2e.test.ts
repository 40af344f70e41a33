// Issue 17: the IAM and STS calls one rotation makes, counted at the server side of a proxy in front of
// moto (keyrot -> proxy -> moto), with the built binary. The minimum is create, the STS check with the
// new key, deactivate and delete; keyrot adds one key list (room for the key, orphan detection) and the
// "no use since deactivation" check before delete (invariant 2): 6, and never a call more.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsKit } from '../helpers/aws-kit.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startMoto, type Moto } from '../peers/moto.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface CountingProxy {
  endpoint: string;
  /** The calls seen since the last take, by action, and forget them. */
  take(): Record<string, number>;
  close(): Promise<void>;
}

/** Forwards every request unchanged (Host too: AWS signs it) and counts it by its query Action. */
async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let counts: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? `${req.method} ${req.url}`;
      counts[action] = (counts[action] ?? 0) + 1;
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    take() {
      const seen = counts;
      counts = {};
      return seen;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let moto: Moto;
let proxy: CountingProxy;
let ws: Workspace;

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('build first: `npm run build` (npm test does)');
  moto = await startMoto();
  proxy = await startCountingProxy(moto.endpoint);
}, 300_000);
afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  ws = workspace();
});
afterEach(() => ws.cleanup());

const { run, createUser, keysOf, iamPlan, published } = awsKit(() => ({ moto, ws }));
const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

/** A plan whose every IAM and STS call goes through the counting proxy: zero waits, no lastUsed rule. */
const plan = (extra: Record<string, unknown> = {}) =>
  iamPlan('payments', 'payments-service', { drain: '0s', soak: '0s', lastUsed: undefined, ...extra }, { endpoint: proxy.endpoint });

describe('HTTP calls per IAM rotation, counted at the server', () => {
  it('a rotation makes 6 calls: one key list, create, the STS check, deactivate, the last-use check before delete, delete', async () => {
    await createUser('payments-service');
    const file = plan();
    proxy.take();
    expect((await run(file)).code).toBe(0);
    // The first key: one list (there is no old key), create, the STS check.
    expect(proxy.take()).toEqual({ ListAccessKeys: 1, CreateAccessKey: 1, GetCallerIdentity: 1 });

    const second = await run(file);
    expect(second.code).toBe(0);
    const calls = proxy.take();
    expect(calls).toEqual({
      ListAccessKeys: 1,
      CreateAccessKey: 1,
      GetCallerIdentity: 1,
      UpdateAccessKey: 1,
      GetAccessKeyLastUsed: 1, // the delete gate (invariant 2); no lastUsed rule, so the last-used phase asks nothing
      DeleteAccessKey: 1,
    });
    expect(total(calls)).toBeLessThanOrEqual(6);
    // And it did rotate: the one key left is the published one.
    expect(await keysOf('payments-service')).toEqual([{ id: published('payments')!.keyId, status: 'Active' }]);
  });

  it('with a lastUsed rule, the last-used phase asks too (again while the key is not quiet yet), and nothing else changes', async () => {
    await createUser('payments-service');
    const file = plan({ lastUsed: { quietFor: '1s', maxWait: '30s' } });
    expect((await run(file)).code).toBe(0);
    proxy.take();

    expect((await run(file)).code).toBe(0);
    const { GetAccessKeyLastUsed: lastUsed, ...rest } = proxy.take();
    // The delete gate's one, plus at least one from the last-used phase (one more each time it waited).
    expect(lastUsed).toBeGreaterThanOrEqual(2);
    expect(rest).toEqual({ ListAccessKeys: 1, CreateAccessKey: 1, GetCallerIdentity: 1, UpdateAccessKey: 1, DeleteAccessKey: 1 });
  });

  it('run --due reads the key list once: the list that finds the plan due is the one the create gate uses', async () => {
    await createUser('payments-service');
    const file = plan({ schedule: { maxAge: '1s' } });
    expect((await run(file)).code).toBe(0);
    proxy.take();
    // moto reports CreateDate to the second: wait until the first key is older than maxAge.
    await new Promise((r) => setTimeout(r, 2_100));

    const due = await run(file, ['--due']);
    expect(due.code).toBe(0);
    expect(due.events.map((e) => e.type)).not.toContain('not-due');
    expect(proxy.take()).toMatchObject({ ListAccessKeys: 1, CreateAccessKey: 1, DeleteAccessKey: 1 });
  });
});
