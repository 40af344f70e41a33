// The KeyIssuer contract for redis, on a real Redis 7: a fresh ACL user per test, keyrot logged in as
// a user allowed only ACL GETUSER/SETUSER/SAVE, CLIENT LIST and TIME; the ledger in a temp folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createRedisIssuer } from '../../src/providers/issuers/redis/issuer.js';
import { redisIssuerSchema } from '../../src/providers/issuers/redis/schema.js';
import { fileLedger } from '../../src/state/file-ledger.js';
import { startRedis, type Redis } from '../peers/redis.js';
import { keyIssuerContract } from './key-issuer.contract.js';

let redis: Redis;
beforeAll(async () => {
  redis = await startRedis();
}, 120_000);
afterAll(async () => {
  await redis?.stop();
});

let n = 0;
keyIssuerContract('redis (Redis 7)', async () => {
  const { user, admin } = await redis.fixture(`contract${++n}`);
  const dir = await mkdtemp(join(tmpdir(), 'keyrot-redis-contract-'));
  const config = redisIssuerSchema.parse({ type: 'redis', host: redis.host, port: redis.port, admin: { user: admin.user, passwordEnv: 'KEYROT_TEST_REDIS' }, user });
  const ledger = fileLedger(join(dir, 'generated'), 'contract');
  const ctx = { planName: 'contract', planDir: dir, stateDir: dir, ledger, env: { KEYROT_TEST_REDIS: admin.password }, now: () => new Date(), note: () => undefined };
  return { issuer: createRedisIssuer(config, ctx), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
