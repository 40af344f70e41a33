// Every provider keyrot calls, as a case of the stalled-answer kit (test/peers/stall-kit.ts): its
// real peer (moto, OpenBao, Prometheus, PostgreSQL, MariaDB, Redis) or its test server (Azure Key
// Vault; the vendors of the http issuer and the CI stores, in stall-cases-http.ts), a plan that
// reaches it through the stall proxy, and a snapshot of what it holds that the stalled run must leave
// as it was. A new provider adds one entry. The peers live in stall-peers.ts.
import { CreateUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { randomUUID } from 'node:crypto';
import { localPlan } from '../helpers/workspace.js';
import { startKeyVaultServer } from '../peers/azure-keyvault-server.js';
import type { StallCase } from '../peers/stall-kit.js';
import { httpStallCases } from './stall-cases-http.js';
import { AWS_ENV, bao, file, ledgerOf, mariadb, moto, postgres, print, prometheus, redis } from './stall-peers.js';

export { closePeers } from './stall-peers.js';

/** A database issuer's source reaching its server at `via` (host:port), the admin password from ADMIN_PW. */
const dbSource = (type: string, via: string, timeout: string, admin: { user: string }, logins: Record<string, unknown>) => {
  const [host, port] = via.split(':');
  return { type, host, port: Number(port), admin: { user: admin.user, passwordEnv: 'ADMIN_PW' }, timeout, ...logins };
};

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const aws = { region: 'us-east-1', credentials };

/** An IAM user on moto, for a plan whose aws-iam source reaches IAM (and STS) at `via`, and its keys as IAM lists them. */
async function iamUser(): Promise<{ endpoint: string; user: string; keys(): Promise<Record<string, string>> }> {
  const m = await moto();
  const user = `stall-${randomUUID().slice(0, 8)}`;
  const iam = new IAMClient({ ...aws, endpoint: m.endpoint });
  await iam.send(new CreateUserCommand({ UserName: user }));
  const keys = async () => Object.fromEntries(((await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId!, k.Status!]));
  return { endpoint: m.endpoint, user, keys };
}
const iamSource = (user: string, via: string, timeout: string) => ({
  type: 'aws-iam', user, region: 'us-east-1', endpoint: via, timeout, connectTimeout: timeout, verifyTimeout: '120s',
});
/** STS calls are signed for service "sts": only they stall, IAM answers. */
const stsOnly = (req: { headers: Record<string, string | string[] | undefined> }) => /\/sts\/aws4_request/.test(String(req.headers.authorization ?? ''));
/** What an AWS read finds: its value's fingerprint, or absent (the not-found error `missing`). */
const awsValue = async (read: () => Promise<string | undefined>, missing: string): Promise<string> => {
  try {
    return print(await read());
  } catch (e) {
    if ((e as Error).name === missing) return 'absent';
    throw e;
  }
};

// Worst cases at a 1s timeout: attempts x 1s plus the backoff between them (providers/retry.ts jitters
// each wait up to x2; the SDK's own retry, for Secrets Manager, waits less). An issuer's case is primed
// (one rotation without the stall): its key must come out of the stalled run as it went in.
export const stallCases: StallCase[] = [
  {
    name: 'aws-iam issuer (IAM)', wire: 'http', exit: 4, worstMs: 6_000 + 14_000,
    async start() {
      const { endpoint, user, keys } = await iamUser();
      return { target: endpoint, env: AWS_ENV, primed: true, snapshot: keys, plan: (via, t) => localPlan(user, { source: iamSource(user, via, t), publish: [file(user)] }) };
    },
  },
  {
    name: 'aws-iam verify (STS)', wire: 'http', exit: 4, worstMs: 6_000 + 14_000,
    async start() {
      const { endpoint, user, keys } = await iamUser();
      return { target: endpoint, env: AWS_ENV, select: stsOnly, primed: true, snapshot: keys, plan: (via, t) => localPlan(user, { source: iamSource(user, via, t), publish: [file(user)] }) };
    },
  },
  {
    name: 'aws-secrets-manager store', wire: 'http', exit: 4, worstMs: 5_000 + 10_000,
    async start() {
      const { endpoint } = await moto();
      const id = `stall/${randomUUID().slice(0, 8)}`;
      const sm = new SecretsManagerClient({ ...aws, endpoint });
      return {
        target: endpoint, env: AWS_ENV,
        snapshot: async () => ({ [id]: await awsValue(async () => (await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString, 'ResourceNotFoundException') }),
        plan: (via, timeout) => localPlan('sm', { publish: [{ type: 'aws-secrets-manager', region: 'us-east-1', secretId: id, endpoint: via, value: '{{secret}}', timeout }] }),
      };
    },
  },
  {
    name: 'aws-ssm store', wire: 'http', exit: 4, worstMs: 5_000 + 10_000,
    async start() {
      const { endpoint } = await moto();
      const name = `/stall/${randomUUID().slice(0, 8)}`;
      const ssm = new SSMClient({ ...aws, endpoint });
      return {
        target: endpoint, env: AWS_ENV,
        snapshot: async () => ({ [name]: await awsValue(async () => (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value, 'ParameterNotFound') }),
        plan: (via, timeout) => localPlan('ssm', { publish: [{ type: 'aws-ssm', region: 'us-east-1', name, endpoint: via, value: '{{secret}}', timeout }] }),
      };
    },
  },
  {
    name: 'vault-kv2 store', wire: 'http', exit: 4, worstMs: 3_000,
    async start() {
      const b = await bao();
      const at = `stall/${randomUUID()}`;
      return {
        target: b.address, env: { VAULT_TOKEN: b.rootToken },
        snapshot: async () => {
          const read = await b.root.get(`secret/data/${at}`);
          return { [at]: read.status === 404 ? 'absent' : print(JSON.stringify(read.body?.data?.data)) };
        },
        plan: (via, timeout) => localPlan('kv', { publish: [{ type: 'vault-kv2', address: via, mount: 'secret', path: at, data: { api_key: '{{secret}}' }, timeout }] }),
      };
    },
  },
  {
    name: 'vault state store (--state vault://)', wire: 'http', exit: 4, worstMs: 3_000,
    async start() {
      const b = await bao();
      const space = `stall-${randomUUID().slice(0, 8)}`;
      return {
        target: b.address, env: { VAULT_TOKEN: b.rootToken },
        snapshot: async () => {
          const listed = await b.root.get(`secret/metadata/${space}?list=true`);
          return { [space]: listed.status === 404 ? 'absent' : print(JSON.stringify(listed.body?.data?.keys)) };
        },
        args: (via, timeout) => ['--state', `vault://secret/${space}?address=${via}&timeout=${timeout}`],
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
        snapshot: async () => ({ stalled: `${kv.versions('stalled').length} versions` }),
        plan: (via, timeout, caFile) => localPlan('kv', {
          publish: [{ type: 'azure-keyvault', vaultUrl: via, name: 'stalled', value: '{{secret}}', disableChallengeResourceVerification: true, tls: { caFile }, timeout }],
        }),
      };
    },
  },
  {
    name: 'prometheus usage source (the gate holds: exit 3)', wire: 'http', exit: 3, worstMs: 2_000,
    async start(ws) {
      const p = await prometheus();
      return {
        target: p.url, primed: true, snapshot: ledgerOf(ws, 'used'),
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
      const snapshot = async () => Object.fromEntries((await db.sql<{ rolname: string; rolpassword: string | null }>('SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1)', [f.roles])).map((r) => [r.rolname, print(r.rolpassword)]));
      return { target: `${db.host}:${db.port}`, env: { ADMIN_PW: f.admin.password }, primed: true, snapshot, plan: (via, t) => localPlan('pg', { source: dbSource('postgresql', via, t, f.admin, { roles: f.roles }) }) };
    },
  },
  {
    name: 'mysql issuer (MariaDB)', wire: 'tcp', exit: 4, worstMs: 3_000, afterBytes: 4,
    async start() {
      const db = await mariadb();
      const f = await db.alternating(`stall${randomUUID().slice(0, 6)}`);
      const snapshot = async () => Object.fromEntries((await db.sql<{ user: string; host: string; auth: string }>('SELECT User AS user, Host AS host, authentication_string AS auth FROM mysql.user WHERE User IN (?)', [f.users])).map((r) => [`${r.user}@${r.host}`, print(r.auth)]));
      return { target: `${db.host}:${db.port}`, env: { ADMIN_PW: f.admin.password }, primed: true, snapshot, plan: (via, t) => localPlan('my', { source: dbSource('mysql', via, t, f.admin, { users: f.users }) }) };
    },
  },
  {
    name: 'redis issuer', wire: 'tcp', exit: 4, worstMs: 3_000, afterBytes: 1,
    async start() {
      const db = await redis();
      const f = await db.fixture(`stall${randomUUID().slice(0, 6)}`);
      const snapshot = async () => ({ [f.user]: print(JSON.stringify(await db.command('ACL', 'GETUSER', f.user))) });
      return { target: `${db.host}:${db.port}`, env: { ADMIN_PW: f.admin.password }, primed: true, snapshot, plan: (via, t) => localPlan('rd', { source: dbSource('redis', via, t, f.admin, { user: f.user }) }) };
    },
  },
  ...httpStallCases,
];
