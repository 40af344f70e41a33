// PostgreSQL (15 on this image) as the test peer of the postgresql issuer: installed on first use by
// scripts/test-peers/postgresql.sh, a throw-away cluster on 127.0.0.1 on a free port, scram-sha-256
// for every login, its superuser's password random per run.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { installPeer, startServer, type ServerProcess } from './server-process.js';

export const installPostgres = () => installPeer('postgresql');

export interface Postgres {
  readonly host: string;
  readonly port: number;
  readonly superuser: { user: string; password: string };
  /** A query as the superuser, in the `postgres` database. */
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** A connected client logging in as `user` (the caller ends it). */
  connect(user: string, password: string, database?: string): Promise<pg.Client>;
  /**
   * Alternating logins as a team would set them up: a group role `<name>` holding the grants (a table
   * `<name>_items` it may read and write), and two NOLOGIN members `<name>_blue`, `<name>_green`. Also
   * keyrot's own login `<name>_keyrot` with CREATEROLE and pg_signal_backend (a revoke ends the leaked
   * role's sessions) only. Answers the names and keyrot's password.
   */
  alternating(name: string): Promise<{ roles: [string, string]; table: string; admin: { user: string; password: string } }>;
  /** SIGKILL the server, as a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<Postgres> {
  const dir = await mkdtemp(join(tmpdir(), 'keyrot-pg-'));
  const superuser = { user: 'peer_admin', password: randomBytes(12).toString('hex') };
  await writeFile(join(dir, 'pw'), `${superuser.password}\n`);
  const port = await freePort();
  const host = '127.0.0.1';
  const connect = async (user: string, password: string, database = 'postgres') => {
    const client = new pg.Client({ host, port, user, password, database, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined); // a server killed under a test must not crash the worker
    await client.connect();
    return client;
  };
  const sql = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []) => {
    const client = await connect(superuser.user, superuser.password);
    try {
      return (await client.query<R>(text, params)).rows;
    } finally {
      await client.end();
    }
  };
  const server: ServerProcess = await startServer('postgresql', [dir, String(port), superuser.user, join(dir, 'pw')], async () => {
    await sql('SELECT 1');
    return true;
  }, { signal: 'SIGINT' });
  const alternating = async (name: string) => {
    const admin = { user: `${name}_keyrot`, password: randomBytes(12).toString('hex') };
    const roles: [string, string] = [`${name}_blue`, `${name}_green`];
    const table = `${name}_items`;
    await sql(`CREATE ROLE ${name} NOLOGIN; CREATE ROLE ${roles[0]} NOLOGIN IN ROLE ${name}; CREATE ROLE ${roles[1]} NOLOGIN IN ROLE ${name};
      CREATE TABLE ${table} (id serial PRIMARY KEY, note text); GRANT SELECT, INSERT ON ${table} TO ${name}; GRANT USAGE ON SEQUENCE ${table}_id_seq TO ${name};
      CREATE ROLE ${admin.user} LOGIN CREATEROLE PASSWORD '${admin.password}'; GRANT pg_signal_backend TO ${admin.user}`);
    return { roles, table, admin };
  };
  return {
    host, port, superuser, sql, connect, alternating,
    kill: () => server.kill(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
