// The rig the reliability suites share: moto (IAM, STS, Secrets Manager, signature checks on) and OpenBao,
// plans that rotate an IAM user's key into Secrets Manager, Vault KV v2 and a file, the built binary
// run with credentials from the environment only, and the checks every suite makes after a run:
// one active key, served by every target, authenticating, no orphan, the audit log complete and in
// order. Checks return problems as text naming key ids and fingerprints only, never a secret.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AuditRecord } from '../../src/audit/log.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { type CliResult, startKeyrot } from '../helpers/cli.js';
import { readAudit, readState, readStore } from '../helpers/inspect.js';
import { type Workspace, workspace } from '../helpers/workspace.js';
import { type Moto, startMoto } from '../peers/moto.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';

export const LONG = process.env.KEYROT_RELIABILITY === 'long';
export const ACCOUNT = '123456789012';
const TESTING = { accessKeyId: 'testing', secretAccessKey: 'testing' };
export const STATE = '.keyrot-state';

/** A small seeded generator (mulberry32): a failing run names its seed and can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Endpoints {
  /** Where keyrot reaches moto (the proxy suite puts a faulty proxy here). */
  aws: string;
  vault: string;
}

export interface Rig {
  moto: Moto;
  bao: OpenBao;
  ws: Workspace;
  admin: { accessKeyId: string; secretAccessKey: string };
  /** A plan rotating user `name` into Secrets Manager, Vault and a file; returns its path. `timeout`: per request, every provider. */
  plan(name: string, extra?: Record<string, unknown>, via?: Endpoints, timeout?: string): string;
  /** Give user `name` a first key through keyrot (a first rotation), unkilled. */
  seed(name: string, via?: Endpoints): Promise<void>;
  start(plan: string, env?: NodeJS.ProcessEnv, args?: string[], via?: Endpoints): ReturnType<typeof startKeyrot>;
  run(plan: string, env?: NodeJS.ProcessEnv, args?: string[], via?: Endpoints): Promise<CliResult>;
  /** Run until exit 0 (or `tries` runs): what a cron job does after a crash. */
  settle(plan: string, tries?: number, via?: Endpoints): Promise<CliResult[]>;
  /** moto and OpenBao as keyrot reaches them without a proxy. */
  direct: Endpoints;
  iamKeys(user: string): Promise<Array<{ id: string; status: string }>>;
  /** Everything that is not the secret store: state, audit log, notifications, plus the given output. */
  keyrotFiles(): string;
  /** The secrets the targets hold now (for leak scans by index). */
  secretsHeld(name: string): Promise<string[]>;
  /** What is wrong after a run that should have finished; [] when nothing is. */
  converged(name: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startRig(): Promise<Rig> {
  const [moto, bao] = await Promise.all([startMoto(), startOpenBao()]);
  await moto.reset();
  const ws = workspace();
  const iam = (creds = TESTING) => new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: creds, maxAttempts: 1 });
  await iam().send(new CreateUserCommand({ UserName: 'keyrot-admin' }));
  await iam().send(new PutUserPolicyCommand({
    UserName: 'keyrot-admin', PolicyName: 'all',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
  }));
  const { AccessKey } = await iam().send(new CreateAccessKeyCommand({ UserName: 'keyrot-admin' }));
  const admin = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  await moto.requireAuth(true); // from here on, as AWS: an unknown or deleted key is refused
  const direct: Endpoints = { aws: moto.endpoint, vault: bao.address };

  const users = new Set<string>();
  const sm = () => new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: admin, maxAttempts: 1 });

  const env = (via: Endpoints, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|AZURE_|VAULT_|KEYROT_)/.test(k)));
    const noFile = path.join(ws.dir, 'no-aws-config');
    return {
      ...inherited, AWS_ACCESS_KEY_ID: admin.accessKeyId, AWS_SECRET_ACCESS_KEY: admin.secretAccessKey, AWS_CONFIG_FILE: noFile,
      AWS_SHARED_CREDENTIALS_FILE: noFile, AWS_EC2_METADATA_DISABLED: 'true', VAULT_ADDR: via.vault, VAULT_TOKEN: bao.rootToken, ...extra,
    };
  };

  const rig: Rig = {
    moto, bao, ws, admin, direct,
    plan(name, extra = {}, via = direct, timeout) {
      const t = timeout ? { timeout } : {};
      return ws.plan(name, {
        apiVersion: 'keyrot/v1',
        name,
        source: { type: 'aws-iam', user: name, region: 'us-east-1', endpoint: via.aws, verifyTimeout: '20s', ...t, ...(timeout ? { connectTimeout: timeout } : {}) },
        publish: [
          { type: 'aws-secrets-manager', region: 'us-east-1', secretId: `${name}/aws`, endpoint: via.aws, data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' }, ...t },
          { type: 'vault-kv2', mount: 'secret', path: `reliability/${name}`, data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' }, ...t },
          { type: 'file', path: `${name}.json` },
        ],
        verify: true,
        drain: '0s',
        soak: '0s',
        ...extra,
      });
    },
    async seed(name, via = direct) {
      if (!users.has(name)) await iam(admin).send(new CreateUserCommand({ UserName: name }));
      users.add(name);
      const first = await rig.run(rig.plan(name, {}, via), {}, [], via);
      if (first.code !== 0) throw new Error(`first key for ${name}: exit ${first.code}\n${first.stderr}`);
    },
    start: (plan, extra = {}, args = [], via = direct) => startKeyrot(['run', '--yes', '--plain', '--state', STATE, ...args, plan], { cwd: ws.dir, env: env(via, extra) }),
    run: (plan, extra, args, via) => rig.start(plan, extra, args, via).done,
    async settle(plan, tries = 4, via = direct) {
      const runs: CliResult[] = [];
      for (let i = 0; i < tries; i++) {
        const r = await rig.run(plan, {}, [], via);
        runs.push(r);
        if (r.code === 0) break;
      }
      return runs;
    },
    async iamKeys(user) {
      const out = await iam(admin).send(new ListAccessKeysCommand({ UserName: user }));
      return (out.AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId!, status: k.Status! }));
    },
    keyrotFiles() {
      const dir = path.join(ws.dir, STATE);
      return existsSync(dir) ? filesUnder(dir).flatMap((f) => gone(() => [readFileSync(f, 'utf8')], [])).join('\n') : '';
    },
    async secretsHeld(name) {
      const file = readStore(path.join(ws.dir, `${name}.json`));
      return [file.current, file.previous, file.retired].flatMap((k) => (k ? [k.secret] : []));
    },
    async converged(name) {
      const problems: string[] = [];
      const keys = await rig.iamKeys(name);
      const active = keys.filter((k) => k.status === 'Active');
      if (keys.length !== 1 || active.length !== 1) problems.push(`IAM holds ${keys.map((k) => `${k.id} ${k.status}`).join(', ') || 'no key'}: expected one active key`);
      const key = active[0]?.id;
      const file = readStore(path.join(ws.dir, `${name}.json`)).current;
      const expected = file ? fingerprint(file.secret) : undefined;
      const smValue = await sm().send(new GetSecretValueCommand({ SecretId: `${name}/aws` })).catch(() => undefined);
      const smData = smValue?.SecretString ? (JSON.parse(smValue.SecretString) as Record<string, string>) : undefined;
      const vault = (await bao.root.get(`secret/data/reliability/${name}`)).body?.data?.data as Record<string, string> | undefined;
      const served = {
        file: file && { keyId: file.keyId, print: fingerprint(file.secret) },
        'aws-secrets-manager': smData && { keyId: smData.access_key_id, print: fingerprint(smData.secret_access_key ?? '') },
        'vault-kv2': vault && { keyId: vault.access_key_id, print: fingerprint(vault.secret_access_key ?? '') },
      };
      for (const [target, got] of Object.entries(served)) {
        if (got?.keyId !== key || got?.print !== expected) problems.push(`${target} serves ${got ? `${got.keyId} (${got.print})` : 'nothing'}, not ${key} (${expected})`);
      }
      if (key && file) {
        const sts = new STSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: key, secretAccessKey: file.secret }, maxAttempts: 1 });
        const arn = await sts.send(new GetCallerIdentityCommand({})).then((o) => o.Arn, (e: Error) => e.name);
        if (arn !== `arn:aws:iam::${ACCOUNT}:user/${name}`) problems.push(`the served key ${key} does not authenticate: ${arn}`);
      }
      const state = readState(path.join(ws.dir, STATE), name);
      if (state?.phase !== 'done') problems.push(`state: ${state?.phase}:${state?.stage}, not done`);
      if (state) problems.push(...auditProblems(readAudit(path.join(ws.dir, STATE)), state.rotationId, 3));
      return problems;
    },
    async close() {
      await Promise.all([moto.stop(), bao.stop()]);
      ws.cleanup();
    },
  };
  return rig;
}

/**
 * `read()`, or `absent` when what it reads is gone (ENOENT, or ENOTDIR: a folder replaced meanwhile).
 * Another plan's run renames files and folders away while a suite looks (a temporary file, a lock
 * moved aside by a takeover): a file that vanished is not a harness error.
 */
export function gone<T>(read: () => T, absent: T): T {
  try {
    return read();
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return absent;
    throw e;
  }
}

/** How filesUnder looks at the disk (a test races it with a fake one). */
export interface Look {
  list(dir: string): string[];
  isDirectory(at: string): boolean;
}
const disk: Look = { list: (d) => readdirSync(d), isDirectory: (at) => statSync(at).isDirectory() };

/** Every file under `dir`, tolerating files and folders that vanish between the listing and the look. */
export function filesUnder(dir: string, look: Look = disk): string[] {
  return gone(() => look.list(dir), [] as string[]).flatMap((name) => {
    const at = path.join(dir, name);
    const folder = gone<boolean | undefined>(() => look.isDirectory(at), undefined);
    if (folder === undefined) return [];
    return folder ? filesUnder(at, look) : [at];
  });
}

/**
 * The audit log of one finished rotation must hold every side effect, in order, after its last
 * create-key: a publish per target, verify, deactivate-key, a retire per target, delete-key, a purge
 * per target. A step a resumed run found already done counts when it is recorded as found (skipped).
 */
export function auditProblems(all: AuditRecord[], rotationId: string, targets: number): string[] {
  const records = all.filter((r) => r.rotationId === rotationId && (r.outcome === 'ok' || r.outcome === 'skipped'));
  const problems: string[] = [];
  const times = records.map((r) => Date.parse(r.time));
  if (times.some((t, i) => i > 0 && t < times[i - 1]!)) problems.push('audit: records out of time order');
  const created = records.map((r) => r.action).lastIndexOf('create-key');
  if (created < 0) return [...problems, `audit: no create-key for rotation ${rotationId}`];
  const steps: Array<[string, number]> = [
    ['publish', targets], ['verify', 1], ['deactivate-key', 1], ['retire-from-store', targets], ['delete-key', 1], ['purge-from-store', targets],
  ];
  let at = created + 1;
  for (const [action, n] of steps) {
    const found = records.map((r, i) => (i >= at && r.action === action ? i : -1)).filter((i) => i >= 0);
    if (found.length < n) {
      problems.push(`audit: ${found.length} of ${n} ${action} record(s) after position ${at}: ${records.slice(created).map((r) => `${r.action}:${r.outcome}`).join(' ')}`);
      break;
    }
    at = found[n - 1]! + 1;
  }
  return problems;
}

/** A secret nobody has seen, for canary scans. */
export const canary = (): string => `CANARY${randomBytes(18).toString('hex')}`;
