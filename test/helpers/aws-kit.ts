// The built keyrot binary against moto, as the AWS end-to-end tests drive it: runs with credentials
// from the environment only, IAM as a test sees it, and plans for an IAM user.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startMoto, type Moto } from '../peers/moto.js';
import { entryFor, requireBuild, testEnv } from './cli.js';
import { readStore } from './inspect.js';
import { workspace, type Workspace } from './workspace.js';

export const ACCOUNT = '123456789012'; // moto's default account
export const TESTING = { accessKeyId: 'testing', secretAccessKey: 'testing' }; // accepted while signature checks are off

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** NDJSON events, with --json. */
  events: Array<{ type: string; [k: string]: unknown }>;
}

/** An AWS end-to-end file's set-up: moto started once for the file and reset before each test, and a
 *  fresh workspace for each test. The object returned holds the current ones. */
export function motoSuite(): { moto: Moto; ws: Workspace } {
  const current = {} as { moto: Moto; ws: Workspace };
  beforeAll(async () => {
    requireBuild();
    current.moto = await startMoto();
  }, 300_000);
  afterAll(async () => {
    await current.moto?.stop();
  });
  beforeEach(async () => {
    await current.moto.reset();
    current.ws = workspace();
  });
  afterEach(() => current.ws?.cleanup());
  return current;
}

/** Helpers bound to the test file's current moto server and workspace. */
export function awsKit(get: () => { moto: Moto; ws: Workspace }) {
  // ---- running keyrot --------------------------------------------------------------------------

  /** keyrot with credentials from the environment only, as in a CI job (never the host's ~/.aws). */
  function keyrot(args: string[], opts: { creds?: typeof TESTING; env?: Record<string, string> } = {}): Promise<Run> {
    const inherited = Object.fromEntries(Object.entries(testEnv()).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('KEYROT_')));
    const noFile = path.join(get().ws.dir, 'no-aws-config');
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
    const child = spawn(process.execPath, [entryFor(opts.env), ...args], { cwd: get().ws.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    const dir = path.join(get().ws.dir, STATE);
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)]));
    const files = existsSync(dir) ? walk(dir).map((f) => readFileSync(f, 'utf8')) : [];
    return [...files, ...runs.flatMap((r) => [r.stdout, r.stderr])].join('\n');
  }

  // ---- IAM as the test sees it ------------------------------------------------------------------

  const iamClient = (creds = TESTING) => new IAMClient({ region: 'us-east-1', endpoint: get().moto.endpoint, credentials: creds });

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
    const sts = new STSClient({ region: 'us-east-1', endpoint: get().moto.endpoint, credentials: { accessKeyId: keyId, secretAccessKey: secret }, maxAttempts: 1 });
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
    return get().ws.plan(name, {
      apiVersion: 'keyrot/v1',
      name,
      schedule: { maxAge: '30d' },
      source: { type: 'aws-iam', user, region: 'us-east-1', endpoint: get().moto.endpoint, verifyTimeout: '10s', ...source },
      publish: [{ type: 'file', path: `${name}.json` }],
      verify: true,
      drain: '1s',
      lastUsed: { quietFor: '1s', maxWait: '30s' },
      soak: '1s',
      ...extra,
    });
  }

  const published = (name: string) => readStore(path.join(get().ws.dir, `${name}.json`)).current;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  return { keyrot, run, keyrotOutput, iamClient, createUser, keysOf, createKey, whoIs, createAdmin, iamPlan, published, sleep, STATE };
}
