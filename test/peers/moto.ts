// moto in server mode as a test peer: installed on first use by scripts/test-peers/moto.sh,
// started on 127.0.0.1 on a free port, one server per caller (moto's state and auth switch are global).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

// Tests build AWS SDK clients of their own: keep the SDK's Node 20 notice out of the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(REPO, 'scripts', 'test-peers', 'moto.sh');

export interface Moto {
  endpoint: string;
  /** Wipe every account, user and key; signature checks off again. */
  reset(): Promise<void>;
  /** Signature checks on: unknown or wrong keys are rejected, as real AWS does. */
  requireAuth(on: boolean): Promise<void>;
  /** Stop the server process (SIGSTOP): connections are still accepted, nothing is answered. */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

/** Install moto if needed (minutes the first time) and return the moto_server path. */
export async function installMoto(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [SCRIPT, 'install'], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop()!;
}

async function post(url: string, body = ''): Promise<void> {
  const res = await fetch(url, { method: 'POST', body });
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}`);
}

export async function startMoto(): Promise<Moto> {
  const bin = await installMoto();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/data.json`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 30s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const requireAuth = (on: boolean) => post(`${endpoint}/moto-api/reset-auth`, on ? '0' : 'inf');
  return {
    endpoint,
    requireAuth,
    async reset() {
      await requireAuth(false);
      await post(`${endpoint}/moto-api/reset`);
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT'); // a frozen server would not act on SIGTERM
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
