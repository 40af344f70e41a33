// Issue 12, harness item 5 (the provider paths; canary.test.ts covers notifications and hooks): a canary
// secret handed to every store and to the issuer's verify, on their failure paths (permission denied,
// wrong credentials, connection refused, a request that stalls past its timeout, a file that cannot be
// written), must never appear in the error object keyrot gets back: not in its message, its stack, its
// details, its cause chain, nor in anything util.inspect shows of it. keyrot's own credentials (the
// Vault token, the AWS secret key) are canaries too. Then the same through the binary: a rotation
// whose Vault publish is refused, resumed once allowed, with stdout, stderr, state, audit, status and
// history scanned for every secret minted. Checks name what leaked by index, never the value.
import { inspect } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/engine/clock.js';
import { buildProviders, callProvider } from '../../src/engine/providers.js';
import { loadPlan } from '../../src/plan/load.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes } from '../helpers/inspect.js';
import { type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { freePort } from '../peers/free-port.js';
import { canary, type Rig, STATE, startRig } from './kit.js';
import { recordFaults } from './faults.js';

let rig: Rig;
let stall: ForwardingProxy;
beforeAll(async () => {
  rig = await startRig();
  stall = await startForwardingProxy(rig.bao.address);
  stall.injectFaults(() => 'stall');
}, 300_000);
afterAll(async () => {
  await stall?.close();
  await rig?.close();
});

/** Every view of an error a program or a log could take. */
const viewsOf = (e: unknown): string => {
  const err = e as Error & { details?: unknown; cause?: unknown };
  return [String(e), err?.stack, inspect(e, { depth: 8, showHidden: true }), JSON.stringify(e, Object.getOwnPropertyNames(e ?? {})), JSON.stringify(err?.details ?? null)].join('\n');
};

/** With `env` set as keyrot's environment, build the plan's providers and make one failing call through the engine's wrapper. */
async function failure(target: Record<string, unknown>, env: Record<string, string>, call: 'publish' | 'verify', credential: { keyId: string; secret: string }): Promise<unknown> {
  const file = rig.ws.plan(`canary-${Math.random().toString(36).slice(2, 8)}`, {
    apiVersion: 'keyrot/v1', name: 'canary-providers',
    source: { type: 'aws-iam', user: 'canary-user', region: 'us-east-1', endpoint: rig.moto.endpoint, timeout: '2s', connectTimeout: '1s' },
    publish: [target],
  });
  const loaded = await loadPlan(file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const { issuer, stores } = await buildProviders(loaded.loaded, new FileStateStore(path.join(rig.ws.dir, '.canary-state')), () => undefined, systemClock);
    const context = { plan: 'canary-providers', rotationId: 'r', rotatedAt: new Date() };
    await (call === 'verify'
      ? callProvider(issuer, 'verify', () => issuer.verify(credential))
      : callProvider(stores[0]!, 'publish', () => stores[0]!.publish(credential, context)));
  } catch (e) {
    return e;
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  throw new Error('the call was expected to fail');
}

const vaultTarget = (address: string, extra: Record<string, unknown> = {}) => ({
  type: 'vault-kv2', address, mount: 'secret', path: 'canary/app', timeout: '1s', data: { key_id: '{{keyId}}', secret: '{{secret}}' }, ...extra,
});
const smTarget = (endpoint: string) => ({
  type: 'aws-secrets-manager', region: 'us-east-1', secretId: 'canary/app', endpoint, timeout: '2s', data: { key_id: '{{keyId}}', secret: '{{secret}}' },
});

describe('a canary secret on the providers\' failure paths: never in the error object', () => {
  afterAll(() => recordFaults('a canary secret on the providers\' failure paths: never in the error object', { 'provider failure paths with a canary': cases.length }));

  const secret = canary();
  const awsSecret = canary();
  const credential = { keyId: 'AKIACANARY0000000000', secret };
  const aws = (accessKeyId: string, secretAccessKey: string) => ({ AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' });

  const cases: Array<[string, () => Promise<unknown>, string[]]> = [
    ['vault-kv2 publish, permission denied (a token whose policy grants nothing there)', async () => {
      await rig.bao.policy('canary-nothing', 'path "secret/data/elsewhere" { capabilities = ["read"] }');
      const token = await rig.bao.token(['canary-nothing'], { noDefault: true }); // (no policy at all would inherit root's)
      return failure(vaultTarget(rig.bao.address), { VAULT_TOKEN: token }, 'publish', credential).then((e) => ((e as { token?: string }).token = token, e));
    }, []],
    ['vault-kv2 publish, connection refused', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      return failure(vaultTarget(closed), { VAULT_TOKEN: rig.bao.rootToken }, 'publish', credential);
    }, []],
    ['vault-kv2 publish, a request that stalls past its timeout', () => failure(vaultTarget(stall.address), { VAULT_TOKEN: rig.bao.rootToken }, 'publish', credential), []],
    ['aws-secrets-manager publish, wrong AWS credentials (signature refused)', () => failure(smTarget(rig.moto.endpoint), aws(rig.admin.accessKeyId, awsSecret), 'publish', credential), []],
    ['aws-secrets-manager publish, connection refused', async () => failure(smTarget(`http://127.0.0.1:${await freePort()}`), aws(rig.admin.accessKeyId, rig.admin.secretAccessKey), 'publish', credential), []],
    ['file publish, the folder is a file', async () => {
      rig.ws.write('not-a-folder', 'x');
      return failure({ type: 'file', path: 'not-a-folder/keys.json' }, {}, 'publish', credential);
    }, []],
    ['aws-iam verify, a key id with a wrong secret', () => failure({ type: 'file', path: 'unused.json' }, aws(rig.admin.accessKeyId, rig.admin.secretAccessKey), 'verify', { keyId: rig.admin.accessKeyId, secret }), []],
  ];

  it.each(cases)('%s', async (_, fail) => {
    const error = await fail();
    const token = (error as { token?: string }).token;
    delete (error as { token?: string }).token;
    expect(error, 'a KeyrotError comes back').toMatchObject({ code: expect.any(String) });
    const watched = [secret, awsSecret, rig.bao.rootToken, rig.admin.secretAccessKey, ...(token ? [token] : [])];
    expect(leakedIndexes(viewsOf(error), watched)).toEqual([]);
  }, 60_000);
});

describe('a canary secret through the binary when a store refuses it', () => {
  afterAll(() => recordFaults('a canary secret through the binary when a store refuses it', { 'refused Vault publish': 1 }));

  it('a refused Vault publish, then the resumed rotation: no minted secret in output, state, audit, status or history', async () => {
    const user = 'canary-cli';
    await rig.seed(user);
    const before = await rig.secretsHeld(user);
    const plan = rig.plan(user);
    const readOnly = 'canary-read-only';
    await rig.bao.policy(readOnly, `path "secret/data/reliability/${user}" { capabilities = ["read"] }\npath "secret/metadata/reliability/${user}" { capabilities = ["read"] }`);
    const narrow = await rig.bao.token([readOnly]);

    const refused = await rig.run(plan, { VAULT_TOKEN: narrow });
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/permission denied/);
    const resumed = await rig.settle(plan);
    expect(resumed.at(-1)?.code, resumed.at(-1)?.stderr).toBe(0);
    const looks = await Promise.all([['status', '--json'], ['history', '--json'], ['history']].map((args) => keyrot([...args, '--state', STATE], { cwd: rig.ws.dir })));
    expect(await rig.converged(user)).toEqual([]);

    const minted = [...before, ...(await rig.secretsHeld(user))];
    const said = [refused, ...resumed, ...looks].flatMap((r) => [r.stdout, r.stderr]).join('\n');
    const watched = [...minted, narrow, rig.bao.rootToken, rig.admin.secretAccessKey];
    expect({ output: leakedIndexes(said, watched), files: leakedIndexes(rig.keyrotFiles(), watched) }).toEqual({ output: [], files: [] });
  }, 120_000);
});
