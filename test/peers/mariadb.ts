// MariaDB (Debian's mariadb-server, 10.11) as the test peer of the mysql issuer: installed on first
// use by scripts/test-peers/mariadb.sh, a throw-away data folder, TCP on 127.0.0.1 on a free port.
// Its root@localhost has no password and is reached through the socket only; tests make their users.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './free-port.js';
import { installPeer, startServer, type ServerProcess } from './server-process.js';

export const installMariaDb = () => installPeer('mariadb');

export interface MariaDb {
  readonly host: string;
  readonly port: number;
  /** Statements as root (through the socket), one connection each call; answers the rows of the last. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** A connection logging in as `user` over TCP (the caller ends it). */
  connect(user: string, password: string, database?: string): Promise<mysql.Connection>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMariaDb(): Promise<MariaDb> {
  const dir = await mkdtemp(join(tmpdir(), 'keyrot-mariadb-'));
  const port = await freePort();
  const host = '127.0.0.1';
  const sql = async <R>(text: string, params: unknown[] = []) => {
    const c = await mysql.createConnection({ socketPath: join(dir, 's'), user: 'root', multipleStatements: true });
    try {
      const [rows] = await c.query(text, params);
      return rows as R[];
    } finally {
      await c.end();
    }
  };
  const connect = async (user: string, password: string, database?: string) => {
    const c = await mysql.createConnection({ host, port, user, password, connectTimeout: 5_000, ...(database ? { database } : {}) });
    c.on('error', () => undefined); // a server killed under a test must not crash the worker
    return c;
  };
  const server: ServerProcess = await startServer('mariadb', [dir, String(port)], async () => {
    await sql('SELECT 1');
    return true;
  });
  return {
    host, port, sql, connect,
    kill: () => server.kill(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
