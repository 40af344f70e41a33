// The test peers as the bench scripts start them: a free port on 127.0.0.1, and moto installed
// through the same script the tests use (scripts/test-peers/moto.sh).
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** moto in server mode on 127.0.0.1; resolves once it answers. */
export async function startMoto() {
  const motoBin = execFileSync('bash', [path.join(root, 'scripts/test-peers/moto.sh'), 'install'], { encoding: 'utf8' }).trim().split('\n').pop();
  const port = await freePort();
  const child = spawn(motoBin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/data.json`)).ok) return { endpoint, stop: () => child.kill() };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('moto did not start');
}
