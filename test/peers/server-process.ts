// A test peer's server process: started by its script under scripts/test-peers/, polled until it
// answers, stopped (and never left behind by a test worker that exits without its teardown).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const peerScript = (name: string) => join(REPO, 'scripts', 'test-peers', `${name}.sh`);

/** Install a peer if needed (apt the first time) and return what its script prints last (a path). */
export async function installPeer(name: string): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [peerScript(name), 'install'], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop()!;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** SIGKILL: the server dies at once, as in a crash. */
  kill(): Promise<void>;
  /** `signal` (the server's fast shutdown), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * Run `<name>.sh start ...args` and wait until `ready()` resolves true (within `timeoutMs`).
 * `signal` is the server's own fast-shutdown signal (PostgreSQL: SIGINT; others SIGTERM).
 */
export async function startServer(
  name: string, args: string[], ready: () => Promise<boolean>, options: { signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const child = spawn('bash', [peerScript(name), 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const orphaned = () => void child.kill('SIGKILL');
  process.once('exit', orphaned);
  let log = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${log}`);
    if (await ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not get ready within ${options.timeoutMs ?? 60_000} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', orphaned);
  };
  return { child, kill: () => end('SIGKILL'), stop: () => end(options.signal ?? 'SIGTERM') };
}
