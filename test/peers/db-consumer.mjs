// A service that uses a database through a pool of connections and follows keyrot's file target:
// it queries all the time (four workers), and when the published key changes it opens a pool with
// the new login, moves its queries there, and closes the old pool (its sessions end). On SIGTERM it
// prints what it saw as one JSON line: queries that worked, errors by code, pool switches.
//   node db-consumer.mjs postgresql|mysql|redis STORE_FILE HOST PORT [DATABASE]
// Plain JavaScript, run by node as a separate process; it never prints a password.
import { readFileSync } from 'node:fs';

const [kind, storeFile, host, port, database] = process.argv.slice(2);
const WORKERS = 4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const drivers = {
  async postgresql(user, password) {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ host, port: Number(port), user, password, database, max: WORKERS, idleTimeoutMillis: 0 });
    pool.on('error', () => undefined);
    return { query: () => pool.query('SELECT count(*) FROM pg_class'), end: () => pool.end() };
  },
  async mysql(user, password) {
    const mysql = (await import('mysql2/promise')).default;
    const pool = mysql.createPool({ host, port: Number(port), user, password, database, connectionLimit: WORKERS, maxIdle: WORKERS, idleTimeout: 3_600_000 });
    pool.pool.on('connection', (c) => c.on('error', () => undefined));
    return { query: () => pool.query('SELECT 1'), end: () => pool.end() };
  },
  async redis(user, password) {
    const { createClient } = await import('@redis/client');
    const clients = [];
    for (let i = 0; i < WORKERS; i++) {
      const c = createClient({ url: `redis://${host}:${port}`, username: user, password, socket: { reconnectStrategy: false } });
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
    }
    let next = 0;
    return { query: () => clients[next++ % WORKERS].ping(), end: async () => { for (const c of clients) await c.quit().catch(() => c.destroy()); } };
  },
};

const report = { ok: 0, errors: {}, switches: 0, logins: [] };
let pool;
let keyId;
let stopping = false;

const codeOf = (e) => String(e?.code ?? e?.message?.split(' ')[0] ?? 'unknown');
const published = () => {
  try {
    return JSON.parse(readFileSync(storeFile, 'utf8')).current;
  } catch {
    return undefined;
  }
};

async function follow() {
  while (!stopping) {
    const current = published();
    if (current && current.keyId !== keyId) {
      const user = current.keyId.slice(0, current.keyId.lastIndexOf('@'));
      try {
        const fresh = await drivers[kind](user, current.secret);
        await fresh.query(); // warm: the new login works before any query moves there
        const old = pool;
        pool = fresh;
        keyId = current.keyId;
        report.switches += 1;
        report.logins.push(user);
        await old?.end(); // in-flight queries finish, then its sessions end
      } catch (e) {
        report.errors[codeOf(e)] = (report.errors[codeOf(e)] ?? 0) + 1;
      }
    }
    await sleep(50);
  }
}

async function work() {
  while (!stopping) {
    if (pool) {
      try {
        await pool.query();
        report.ok += 1;
      } catch (e) {
        report.errors[codeOf(e)] = (report.errors[codeOf(e)] ?? 0) + 1;
      }
    }
    await sleep(10);
  }
}

process.on('SIGTERM', async () => {
  stopping = true;
  await sleep(100);
  await pool?.end().catch(() => undefined);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
});

process.stdout.write('started\n');
void follow();
for (let i = 0; i < WORKERS; i++) void work();
