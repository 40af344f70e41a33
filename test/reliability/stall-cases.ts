// Every provider keyrot calls, as a case of the stalled-answer kit (test/peers/stall-kit.ts): its
// real peer (moto, OpenBao, Prometheus) or its test server (Azure Key Vault, Keyhub for the http
// issuer), and a plan that reaches it through the stall proxy. A new provider adds one entry.
// The peers are started once per test file, on first use; `closePeers` stops them.
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { keyhubPlan } from '../helpers/http-issuer.js';
import { localPlan } from '../helpers/workspace.js';
import { startKeyVaultServer } from '../peers/azure-keyvault-server.js';
import { startKeyhub } from '../peers/keyhub-server.js';
import { type MariaDb, startMariaDb } from '../peers/mariadb.js';
import { type Postgres, startPostgres } from '../peers/postgresql.js';
import { type Redis, startRedis } from '../peers/redis.js';
import { startGithubServer } from '../peers/vendors/github.js';
import { type Moto, startMoto } from '../peers/moto.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { type Prometheus, startPrometheus } from '../peers/prometheus.js';
import type { StallCase } from '../peers/stall-kit.js';

interface Stoppable {
  stop(): Promise<void>;
}
const peers = new Map<string, Promise<Stoppable>>();
const shared = <T extends Stoppable>(name: string, start: () => Promise<T>) => (): Promise<T> => {
  if (!peers.has(name)) peers.set(name, start());
  return peers.get(name) as Promise<T>;
};
const moto = shared<Moto>('moto', startMoto);
const bao = shared<OpenBao>('openbao', () => startOpenBao());
const prometheus = shared<Prometheus>('prometheus', () => startPrometheus([]));
const postgres = shared<Postgres>('postgresql', startPostgres);
const mariadb = shared<MariaDb>('mariadb', startMariaDb);
const redis = shared<Redis>('redis', startRedis);

export async function closePeers(): Promise<void> {
  await Promise.all([...peers.values()].map((p) => p.then((peer) => peer.stop(), () => undefined)));
}

/** A database issuer's source reaching its server at `via` (host:port), the admin password from ADMIN_PW. */
const dbSource = (type: string, via: string, timeout: string, admin: { user: string }, logins: Record<string, unknown>) => {
  const [host, port] = via.split(':');
  return { type, host, port: Number(port), admin: { user: admin.user, passwordEnv: 'ADMIN_PW' }, timeout, ...logins };
};

const AWS_ENV = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
const file = (name: string) => ({ type: 'file', path: `${name}.json` });

/** An IAM user on moto, for a plan whose aws-iam source reaches IAM (and STS) at `via`. */
async function iamUser(): Promise<{ endpoint: string; user: string }> {
  const m = await moto();
  const user = `stall-${randomUUID().slice(0, 8)}`;
  await new IAMClient({ region: 'us-east-1', endpoint: m.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }).send(new CreateUserCommand({ UserName: user }));
  return { endpoint: m.endpoint, user };
}
const iamSource = (user: string, via: string, timeout: string) => ({
  type: 'aws-iam', user, region: 'us-east-1', endpoint: via, timeout, connectTimeout: timeout, verifyTimeout: '120s',
});
/** STS calls are signed for service "sts": only they stall, IAM answers. */
const stsOnly = (req: { headers: Record<string, string | string[] | undefined> }) => /\/sts\/aws4_request/.test(String(req.headers.authorization ?? ''));

// Worst cases at a 1s timeout: attempts x 1s plus the backoff between them (providers/retry.ts jitters
// each wait up to x2; the SDK's own retry, for Secrets Manager, waits less).
export const stallCases: StallCase[] = [
  {
    name: 'aws-iam issuer (IAM)', wire: 'http', exit: 4, worstMs: 6_000 + 14_000,
    async start() {
      const { endpoint, user } = await iamUser();
      return { target: endpoint, env: AWS_ENV, plan: (via, t) => localPlan(user, { source: iamSource(user, via, t), publish: [file(user)] }) };
    },
  },
  {
    name: 'aws-iam verify (STS)', wire: 'http', exit: 4, worstMs: 6_000 + 14_000,
    async start() {
      const { endpoint, user } = await iamUser();
      return { target: endpoint, env: AWS_ENV, select: stsOnly, plan: (via, t) => localPlan(user, { source: iamSource(user, via, t), publish: [file(user)] }) };
    },
  },
  {
    name: 'aws-secrets-manager store', wire: 'http', exit: 4, worstMs: 5_000 + 10_000,
    async start() {
      const { endpoint } = await moto();
      const id = `stall/${randomUUID().slice(0, 8)}`;
      return {
        target: endpoint, env: AWS_ENV,
        plan: (via, timeout) => localPlan('sm', { publish: [{ type: 'aws-secrets-manager', region: 'us-east-1', secretId: id, endpoint: via, value: '{{secret}}', timeout }] }),
      };
    },
  },
  {
    name: 'aws-ssm store', wire: 'http', exit: 4, worstMs: 5_000 + 10_000,
    async start() {
      const { endpoint } = await moto();
      const name = `/stall/${randomUUID().slice(0, 8)}`;
      return {
        target: endpoint, env: AWS_ENV,
        plan: (via, timeout) => localPlan('ssm', { publish: [{ type: 'aws-ssm', region: 'us-east-1', name, endpoint: via, value: '{{secret}}', timeout }] }),
      };
    },
  },
  {
    name: 'github-actions store', wire: 'http', exit: 4, worstMs: 4_000 + 14_000,
    async start() {
      const github = await startGithubServer();
      github.addRepository('acme/deploy', []);
      const token = github.token({ kind: 'fine-grained', repositories: ['acme/deploy'], permissions: { secrets: 'write', variables: 'write' } });
      return {
        target: github.baseUrl, env: { GH_TOKEN: token }, close: () => github.close(),
        plan: (via, timeout) => localPlan('gh', {
          publish: [file('gh'), { type: 'github-actions', repository: 'acme/deploy', name: 'API_KEY', tokenEnv: 'GH_TOKEN', apiUrl: via, timeout, rollback: false }],
        }),
      };
    },
  },
  {
    name: 'vault-kv2 store', wire: 'http', exit: 4, worstMs: 3_000,
    async start() {
      const b = await bao();
      return {
        target: b.address, env: { VAULT_TOKEN: b.rootToken },
        plan: (via, timeout) => localPlan('kv', { publish: [{ type: 'vault-kv2', address: via, mount: 'secret', path: `stall/${randomUUID()}`, data: { api_key: '{{secret}}' }, timeout }] }),
      };
    },
  },
  {
    name: 'vault state store (--state vault://)', wire: 'http', exit: 4, worstMs: 3_000,
    async start() {
      const b = await bao();
      return {
        target: b.address, env: { VAULT_TOKEN: b.rootToken },
        args: (via, timeout) => ['--state', `vault://secret/stall-${randomUUID().slice(0, 8)}?address=${via}&timeout=${timeout}`],
        plan: () => localPlan('state'),
      };
    },
  },
  {
    name: 'azure-keyvault store', wire: 'https', exit: 4, worstMs: 6_000 + 23_000,
    async start() {
      const kv = await startKeyVaultServer();
      return {
        target: kv.vaultUrl, ca: kv.ca, env: kv.identityEnv, close: () => kv.close(),
        plan: (via, timeout, caFile) => localPlan('kv', {
          publish: [{ type: 'azure-keyvault', vaultUrl: via, name: 'stalled', value: '{{secret}}', disableChallengeResourceVerification: true, tls: { caFile }, timeout }],
        }),
      };
    },
  },
  {
    name: 'prometheus usage source (the gate holds: exit 3)', wire: 'http', exit: 3, worstMs: 2_000,
    async start() {
      const p = await prometheus();
      return {
        target: p.url, primed: true,
        plan: (via, timeout) => localPlan('used', {
          drain: '0s', lastUsed: { quietFor: '1m', maxWait: '1h' },
          usage: { type: 'prometheus', url: via, query: 'sum(increase(api_requests_total{key_id="{{keyId}}"}[{{window}}]))', timeout },
        }),
      };
    },
  },
  // The database issuers on the tcp wire: each server's answer stops after its first bytes (a message header).
  {
    name: 'postgresql issuer', wire: 'tcp', exit: 4, worstMs: 3_000, afterBytes: 5,
    async start() {
      const db = await postgres();
      const f = await db.alternating(`stall${randomUUID().slice(0, 6)}`);
      return { target: `${db.host}:${db.port}`, env: { ADMIN_PW: f.admin.password }, plan: (via, t) => localPlan('pg', { source: dbSource('postgresql', via, t, f.admin, { roles: f.roles }) }) };
    },
  },
  {
    name: 'mysql issuer (MariaDB)', wire: 'tcp', exit: 4, worstMs: 3_000, afterBytes: 4,
    async start() {
      const db = await mariadb();
      const f = await db.alternating(`stall${randomUUID().slice(0, 6)}`);
      return { target: `${db.host}:${db.port}`, env: { ADMIN_PW: f.admin.password }, plan: (via, t) => localPlan('my', { source: dbSource('mysql', via, t, f.admin, { users: f.users }) }) };
    },
  },
  {
    name: 'redis issuer', wire: 'tcp', exit: 4, worstMs: 3_000, afterBytes: 1,
    async start() {
      const db = await redis();
      const f = await db.fixture(`stall${randomUUID().slice(0, 6)}`);
      return { target: `${db.host}:${db.port}`, env: { ADMIN_PW: f.admin.password }, plan: (via, t) => localPlan('rd', { source: dbSource('redis', via, t, f.admin, { user: f.user }) }) };
    },
  },
  {
    name: 'http issuer (Keyhub)', wire: 'http', exit: 4, worstMs: 5_000 + 15_000,
    async start(ws) {
      const hub = await startKeyhub();
      return {
        target: hub.url, env: { KEYHUB_ADMIN_TOKEN: hub.adminToken }, close: () => hub.close(),
        plan: (via, timeout) => {
          keyhubPlan(ws, via, (y) => y.replace('  maxKeys: 2', `  maxKeys: 2\n  timeout: ${timeout}\n  connectTimeout: ${timeout}`));
          return { ...(parseYaml(ws.read('keyhub.yaml')) as Record<string, unknown>) };
        },
      };
    },
  },
];
