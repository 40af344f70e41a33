// The built `keyrot` binary, run as a child process, rotating IAM access keys on moto.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readState, readStore } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startMoto, type Moto } from '../peers/moto.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(REPO, 'bin', 'keyrot.js');
const ACCOUNT = '123456789012'; // moto's default account
const TESTING = { accessKeyId: 'testing', secretAccessKey: 'testing' }; // accepted while signature checks are off

let moto: Moto;
let ws: Workspace;

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('build first: `npm run build` (npm test does)');
  moto = await startMoto();
}, 300_000);
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  ws = workspace();
});
afterEach(() => ws.cleanup());

// ---- running keyrot --------------------------------------------------------------------------

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** NDJSON events, with --json. */
  events: Array<{ type: string; [k: string]: unknown }>;
}

/** keyrot with credentials from the environment only, as in a CI job (never the host's ~/.aws). */
function keyrot(args: string[], opts: { creds?: typeof TESTING; env?: Record<string, string> } = {}): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('KEYROT_')));
  const noFile = path.join(ws.dir, 'no-aws-config');
  const creds = opts.creds ?? TESTING;
  const env = {
    ...inherited,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_CONFIG_FILE: noFile,
    AWS_SHARED_CREDENTIALS_FILE: noFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    NO_COLOR: '1',
    ...opts.env,
  };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ws.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Run['events'][number]);
      resolve({ code, signal, stdout, stderr, events });
    });
  });
}

const STATE = '.keyrot-state';
const run = (plan: string, flags: string[] = [], opts: Parameters<typeof keyrot>[1] = {}) =>
  keyrot(['run', '--yes', '--json', '--state', STATE, ...flags, plan], opts);

/** Everything keyrot wrote besides the store (state, audit log) plus what it printed. */
function keyrotOutput(runs: Run[]): string {
  const dir = path.join(ws.dir, STATE);
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)]));
  const files = existsSync(dir) ? walk(dir).map((f) => readFileSync(f, 'utf8')) : [];
  return [...files, ...runs.flatMap((r) => [r.stdout, r.stderr])].join('\n');
}

// ---- IAM as the test sees it ------------------------------------------------------------------

const iamClient = (creds = TESTING) => new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: creds });

async function createUser(user: string, creds = TESTING): Promise<void> {
  await iamClient(creds).send(new CreateUserCommand({ UserName: user }));
}

async function keysOf(user: string, creds = TESTING): Promise<Array<{ id: string; status: string }>> {
  const out = await iamClient(creds).send(new ListAccessKeysCommand({ UserName: user }));
  return (out.AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId!, status: k.Status! }));
}

async function createKey(user: string, creds = TESTING): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const { AccessKey } = await iamClient(creds).send(new CreateAccessKeyCommand({ UserName: user }));
  return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
}

/** The ARN STS resolves a key to, or the error code it answers. */
async function whoIs(keyId: string, secret: string): Promise<string> {
  const sts = new STSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: keyId, secretAccessKey: secret }, maxAttempts: 1 });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn!;
  } catch (e) {
    return (e as Error).name;
  }
}

/** An admin allowed everything: its key signs keyrot's calls once signature checks are on. */
async function createAdmin(): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  await createUser('keyrot-admin');
  await iamClient().send(
    new PutUserPolicyCommand({
      UserName: 'keyrot-admin',
      PolicyName: 'all',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
  );
  return createKey('keyrot-admin');
}

// ---- plans ------------------------------------------------------------------------------------

function iamPlan(name: string, user: string, extra: Record<string, unknown> = {}, source: Record<string, unknown> = {}): string {
  return ws.plan(name, {
    apiVersion: 'keyrot/v1',
    name,
    schedule: { maxAge: '30d' },
    source: { type: 'aws-iam', user, region: 'us-east-1', endpoint: moto.endpoint, verifyTimeout: '10s', ...source },
    publish: [{ type: 'file', path: `${name}.json` }],
    verify: true,
    drain: '1s',
    lastUsed: { quietFor: '1s', maxWait: '30s' },
    soak: '1s',
    ...extra,
  });
}

const published = (name: string) => readStore(path.join(ws.dir, `${name}.json`)).current;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the tests --------------------------------------------------------------------------------

describe('keyrot run with an aws-iam source, against moto', () => {
  it('rotates: the old key is gone, the one active key is the published one, and it authenticates', async () => {
    const admin = await createAdmin();
    await createUser('payments-service');
    await moto.requireAuth(true); // from here on moto checks every signature, like AWS
    const plan = iamPlan('payments', 'payments-service');

    const first = await run(plan, [], { creds: admin });
    expect(first.code).toBe(0);
    const k1 = published('payments')!;
    expect(await keysOf('payments-service', admin)).toEqual([{ id: k1.keyId, status: 'Active' }]);

    const notDue = await run(plan, ['--due'], { creds: admin });
    expect(notDue.code).toBe(0);
    expect(notDue.events.map((e) => e.type)).toContain('not-due');
    expect(await keysOf('payments-service', admin)).toEqual([{ id: k1.keyId, status: 'Active' }]);

    const second = await run(plan, [], { creds: admin });
    expect(second.code).toBe(0);
    const k2 = published('payments')!;
    expect(second.events.find((e) => e.type === 'done')).toMatchObject({ oldKeyId: k1.keyId, newKeyId: k2.keyId });
    expect(await keysOf('payments-service', admin)).toEqual([{ id: k2.keyId, status: 'Active' }]);
    expect(await whoIs(k2.keyId, k2.secret)).toBe(`arn:aws:iam::${ACCOUNT}:user/payments-service`);
    expect(await whoIs(k1.keyId, k1.secret)).toBe('InvalidClientTokenId');

    const shown = keyrotOutput([first, notDue, second]);
    expect(shown.includes(k1.secret) || shown.includes(k2.secret)).toBe(false);
  });

  it('`keyrot plan` lists the IAM calls of each phase and changes nothing', async () => {
    await createUser('payments-service');
    await createKey('payments-service');
    const example = parse(readFileSync(path.join(REPO, 'rotation-plans', 'aws-iam-to-file.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    const plan = ws.write('aws-iam-to-file.yaml', stringify({ ...example, source: { ...example.source, endpoint: moto.endpoint } }));
    const before = await keysOf('payments-service');

    const dry = await keyrot(['plan', '--state', STATE, plan]);
    expect(dry.code).toBe(0);
    for (const call of [
      'iam:ListAccessKeys(UserName=payments-service)',
      'iam:CreateAccessKey(UserName=payments-service)',
      'sts:GetCallerIdentity() signed with the new key',
      'iam:GetAccessKeyLastUsed(AccessKeyId)',
      'iam:UpdateAccessKey(UserName=payments-service, Status=Inactive)',
      'iam:DeleteAccessKey(UserName=payments-service)',
    ]) {
      expect(dry.stdout).toContain(call);
    }
    expect(await keysOf('payments-service')).toEqual(before);
    expect(ws.exists('.demo/payments-aws.json')).toBe(false);
  });

  it('refuses (exit 3) when the user already holds two keys, naming both and the clean-up', async () => {
    await createUser('svc');
    const active = await createKey('svc');
    const inactive = await createKey('svc');
    await iamClient().send(new UpdateAccessKeyCommand({ UserName: 'svc', AccessKeyId: inactive.accessKeyId, Status: 'Inactive' }));
    const before = await keysOf('svc');

    const refused = await keyrot(['run', '--yes', '--plain', '--state', STATE, iamPlan('svc', 'svc')]);
    expect(refused.code).toBe(3);
    const out = refused.stdout + refused.stderr;
    expect(out).toContain(`${active.accessKeyId} (active,`);
    expect(out).toContain(`${inactive.accessKeyId} (inactive,`);
    expect(out).toContain('last used never used');
    expect(out).toContain(`iam:DeleteAccessKey(UserName=svc) for ${inactive.accessKeyId}`);
    expect(await keysOf('svc')).toEqual(before);
  });

  it('with deleteInactiveKey, deletes the inactive key first (audited) and rotates', async () => {
    await createUser('svc');
    const active = await createKey('svc');
    const inactive = await createKey('svc');
    await iamClient().send(new UpdateAccessKeyCommand({ UserName: 'svc', AccessKeyId: inactive.accessKeyId, Status: 'Inactive' }));

    const done = await run(iamPlan('svc', 'svc', {}, { deleteInactiveKey: true }));
    expect(done.code).toBe(0);
    const current = published('svc')!;
    expect(await keysOf('svc')).toEqual([{ id: current.keyId, status: 'Active' }]);
    expect(done.events.find((e) => e.type === 'done')).toMatchObject({ oldKeyId: active.accessKeyId });
    expect(readFileSync(path.join(ws.dir, STATE, 'audit.jsonl'), 'utf8')).toContain(`deleted inactive key ${inactive.accessKeyId}`);
  });

  it('a missing user is a plan error (exit 2) naming the account', async () => {
    const failed = await keyrot(['run', '--yes', '--plain', '--state', STATE, iamPlan('ghost', 'nobody')]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(`IAM user nobody does not exist in account ${ACCOUNT}`);
  });

  describe('the last-used gate', () => {
    /** A consumer still on the old key: calls STS with it until stopped. */
    function consumer(key: { keyId: string; secret: string }) {
      let stopped = false;
      const loop = (async () => {
        while (!stopped) {
          await whoIs(key.keyId, key.secret);
          await sleep(200);
        }
      })();
      return async () => {
        stopped = true;
        await loop;
      };
    }

    it('holds while the old key is in use and releases once it goes quiet', async () => {
      await createUser('svc');
      const plan = iamPlan('svc', 'svc', { lastUsed: { quietFor: '2s', maxWait: '60s' } });
      expect((await run(plan)).code).toBe(0);
      const old = published('svc')!;
      const stop = consumer(old);

      expect((await run(plan, ['--no-wait'])).code).toBe(75); // drain
      await sleep(1_200);
      for (let i = 0; i < 2; i++) {
        const waiting = await run(plan, ['--no-wait']);
        expect(waiting.code).toBe(75);
        expect(readState(path.join(ws.dir, STATE), 'svc')?.phase).toBe('last-used');
        expect(await keysOf('svc')).toContainEqual({ id: old.keyId, status: 'Active' });
        await sleep(500);
      }

      await stop();
      await sleep(2_200);
      const released = await run(plan);
      expect(released.code).toBe(0);
      expect(await keysOf('svc')).toEqual([{ id: published('svc')!.keyId, status: 'Active' }]);
    });

    it('gives up at maxWait with exit 3 and the evidence, the old key untouched', async () => {
      await createUser('svc');
      const plan = iamPlan('svc', 'svc', { lastUsed: { quietFor: '5s', maxWait: '2s' } });
      expect((await run(plan)).code).toBe(0);
      const old = published('svc')!;
      const stop = consumer(old);
      try {
        const held = await keyrot(['run', '--yes', '--plain', '--state', STATE, plan]);
        expect(held.code).toBe(3);
        expect(held.stderr).toContain(`old key ${old.keyId} was still used`);
        expect(held.stderr).toContain('by sts in us-east-1');
        expect(await keysOf('svc')).toContainEqual({ id: old.keyId, status: 'Active' });
      } finally {
        await stop();
      }
    });
  });

  describe('SIGKILL at every phase boundary, then resume', () => {
    // KEYROT_FAULT_KILL_AT=phase:stage makes keyrot SIGKILL itself right after saving that state.
    const boundaries = (phases: string[]) => phases.flatMap((p) => [`${p}:acting`, `${p}:waiting`]);

    /** Kill at one boundary, check the damage is bounded, resume, and check the outcome. */
    async function killAndResume(plan: string, name: string, boundary: string): Promise<void> {
      const before = (await keysOf(name)).map((k) => k.id);
      const killed = await run(plan, [], { env: { KEYROT_FAULT_KILL_AT: boundary } });
      expect(killed.signal, `${boundary}: ${killed.stderr}`).toBe('SIGKILL');
      const saved = readState(path.join(ws.dir, STATE), name)!;
      expect(`${saved.phase}:${saved.stage}`).toBe(boundary);
      expect((await keysOf(name)).length, boundary).toBeLessThanOrEqual(2);

      const resumed = await run(plan);
      expect(resumed.code, `resume after ${boundary}: ${resumed.stderr}`).toBe(0);
      const current = published(name)!;
      expect(await keysOf(name), `no orphan after ${boundary}`).toEqual([{ id: current.keyId, status: 'Active' }]);
      expect(before.includes(current.keyId), boundary).toBe(false);
      expect(await whoIs(current.keyId, current.secret), boundary).toBe(`arn:aws:iam::${ACCOUNT}:user/${name}`);
      const shown = [killed, resumed].flatMap((r) => [r.stdout, r.stderr]).join('\n');
      expect(shown.includes(current.secret), boundary).toBe(false);
    }

    const fast = { drain: '0s', soak: '0s', lastUsed: { quietFor: '1s', maxWait: '30s' } };

    it('while issuing the first key', async () => {
      for (const [i, boundary] of boundaries(['create', 'publish', 'verify']).entries()) {
        const name = `first-${i}`;
        await createUser(name);
        await killAndResume(iamPlan(name, name, fast), name, boundary);
      }
    }, 120_000);

    it('during a rotation', async () => {
      await createUser('svc');
      const plan = iamPlan('svc', 'svc', fast);
      expect((await run(plan)).code).toBe(0); // the key to rotate
      for (const boundary of boundaries(['create', 'publish', 'verify', 'drain', 'last-used', 'deactivate', 'soak', 'delete'])) {
        await killAndResume(plan, 'svc', boundary);
      }
    }, 300_000);
  });
});
