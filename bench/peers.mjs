// The test peers as the bench scripts start them: a free port on 127.0.0.1, and moto and PostgreSQL
// installed and started through the same scripts the tests use (scripts/test-peers/).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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
      if ((await fetch(`${endpoint}/moto-api/data.json`)).ok) return { endpoint, pid: child.pid, stop: () => child.kill() };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('moto did not start');
}

/** PostgreSQL (scripts/test-peers/postgresql.sh) on 127.0.0.1 with a throw-away cluster; resolves once it answers. */
export async function startPostgres() {
  const pg = (await import('pg')).default;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-pg-'));
  const superuser = { user: 'bench_admin', password: randomBytes(12).toString('hex') };
  writeFileSync(path.join(dir, 'pw'), `${superuser.password}\n`);
  const port = await freePort();
  const child = spawn('bash', [path.join(root, 'scripts/test-peers/postgresql.sh'), 'start', dir, String(port), superuser.user, path.join(dir, 'pw')], { stdio: 'ignore' });
  const sql = async (text) => {
    const c = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...superuser });
    await c.connect();
    try {
      return (await c.query(text)).rows;
    } finally {
      await c.end();
    }
  };
  for (let i = 0; i < 600; i++) {
    try {
      await sql('SELECT 1');
      const stop = async () => {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT'); // PostgreSQL's fast shutdown
        await exited;
        rmSync(dir, { recursive: true, force: true });
      };
      return { host: '127.0.0.1', port, superuser, sql, stop };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('PostgreSQL did not start');
}
