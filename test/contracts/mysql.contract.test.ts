// The KeyIssuer contract for mysql, on a real MariaDB 10.11: two users per test, each on two hosts,
// keyrot logged in with CREATE USER, PROCESS and SELECT on mysql.global_priv only; the ledger (the
// keys' fingerprints) in a temp folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createMysqlIssuer } from '../../src/providers/issuers/mysql/issuer.js';
import { mysqlIssuerSchema } from '../../src/providers/issuers/mysql/schema.js';
import { fileLedger } from '../../src/state/file-ledger.js';
import { startMariaDb, type MariaDb } from '../peers/mariadb.js';
import { keyIssuerContract } from './key-issuer.contract.js';

let db: MariaDb;
beforeAll(async () => {
  db = await startMariaDb();
}, 120_000);
afterAll(async () => {
  await db?.stop();
});

let n = 0;
keyIssuerContract('mysql (MariaDB 10.11)', async () => {
  const { users, admin } = await db.alternating(`contract${++n}`);
  const config = mysqlIssuerSchema.parse({ type: 'mysql', host: db.host, port: db.port, admin: { user: admin.user, passwordEnv: 'KEYROT_TEST_MYSQL' }, users });
  const dir = await mkdtemp(join(tmpdir(), 'keyrot-mysql-contract-'));
  const ledger = fileLedger(join(dir, 'generated'), 'contract');
  const ctx = { planName: 'contract', planDir: dir, stateDir: dir, ledger, env: { KEYROT_TEST_MYSQL: admin.password }, now: () => new Date(), note: () => undefined };
  return { issuer: createMysqlIssuer(config, ctx), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
