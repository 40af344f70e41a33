// Redis (Debian's redis-server, 7.0) as the test peer of the redis issuer: installed on first use by
// scripts/test-peers/redis.sh, on 127.0.0.1 on a free port with its own folder and ACL file. Its
// `default` user stays open (nopass) for the tests' own setup; keyrot logs in as the admin user a test makes.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type RedisClientType } from '@redis/client';
import { freePort } from './free-port.js';
import { installPeer, startServer, type ServerProcess } from './server-process.js';

export const installRedis = () => installPeer('redis');

export interface Redis {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** One command as the `default` user (no password), on a short-lived connection. */
  command(...args: string[]): Promise<unknown>;
  /** A client logged in as `username` (the caller closes it). */
  connect(username: string, password: string): Promise<RedisClientType>;
  /**
   * A service's ACL user `<name>` with no password yet (keyrot adds them), allowed its own keys and
   * PING; and keyrot's own user `<name>-keyrot`, allowed only what the redis issuer runs. Answers both.
   */
  fixture(name: string): Promise<{ user: string; admin: { user: string; password: string } }>;
  /** The ACL file as ACL SAVE last wrote it. */
  aclFile(): Promise<string>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  const dir = await mkdtemp(join(tmpdir(), 'keyrot-redis-'));
  const port = await freePort();
  const host = '127.0.0.1';
  const url = `redis://${host}:${port}`;
  const connect = async (username: string, password: string) => {
    const client = createClient({ url, username, password, socket: { reconnectStrategy: false, connectTimeout: 5_000 } }) as RedisClientType;
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const command = async (...args: string[]) => {
    const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 5_000 } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  };
  const server: ServerProcess = await startServer('redis', [dir, String(port)], async () => String(await command('PING')) === 'PONG');
  const fixture = async (name: string) => {
    const admin = { user: `${name}-keyrot`, password: randomBytes(12).toString('hex') };
    await command('ACL', 'SETUSER', name, 'on', 'resetpass', `~${name}:*`, '+@read', '+@write', '+ping');
    await command('ACL', 'SETUSER', admin.user, 'on', `>${admin.password}`, '-@all', '+acl|getuser', '+acl|setuser', '+acl|save', '+client|list', '+client|kill', '+time');
    return { user: name, admin };
  };
  return {
    host, port, url, command, connect, fixture,
    aclFile: () => readFile(join(dir, 'users.acl'), 'utf8'),
    kill: () => server.kill(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
