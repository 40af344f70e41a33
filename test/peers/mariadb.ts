// MariaDB (Debian's mariadb-server, 10.11) as the test peer of the mysql issuer: installed on first
// use by scripts/test-peers/mariadb.sh, a throw-away data folder, TCP on 127.0.0.1 on a free port.
// Its root@localhost has no password and is reached through the socket only; tests make their users.
import { randomBytes } from 'node:crypto';
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
  /**
   * Alternating users as a team would set them up: a database `<name>` with a table `items`, and two
   * users `<name>_blue`, `<name>_green`, each on two hosts ('%' and '127.0.0.1', the one a loopback
   * client matches), locked and without a password, both allowed SELECT and INSERT on `<name>`. Also
   * keyrot's own login `<name>_keyrot` with CREATE USER, PROCESS, CONNECTION ADMIN (a revoke ends the
   * leaked user's sessions) and SELECT on mysql.global_priv only.
   */
  alternating(name: string): Promise<{ users: [string, string]; hosts: string[]; database: string; admin: { user: string; password: string } }>;
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
  const alternating = async (name: string) => {
    const users: [string, string] = [`${name}_blue`, `${name}_green`];
    const hosts = ['%', '127.0.0.1'];
    const admin = { user: `${name}_keyrot`, password: randomBytes(12).toString('hex') };
    const accounts = users.flatMap((u) => hosts.map((h) => `'${u}'@'${h}'`));
    await sql([
      `CREATE DATABASE ${name}`, `CREATE TABLE ${name}.items (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT)`,
      ...accounts.map((a) => `CREATE USER ${a} IDENTIFIED VIA mysql_native_password USING 'invalid' ACCOUNT LOCK`),
      ...accounts.map((a) => `GRANT SELECT, INSERT ON ${name}.* TO ${a}`),
      `CREATE USER '${admin.user}'@'%' IDENTIFIED BY '${admin.password}'`,
      `GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO '${admin.user}'@'%'`, `GRANT SELECT ON mysql.global_priv TO '${admin.user}'@'%'`,
    ].join('; '));
    return { users, hosts, database: name, admin };
  };
  return {
    host, port, sql, connect, alternating,
    kill: () => server.kill(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
