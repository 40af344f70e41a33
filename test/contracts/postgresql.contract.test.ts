// The KeyIssuer contract for postgresql, on a real PostgreSQL 15: two NOLOGIN roles per test, keyrot
// logged in as a CREATEROLE-only login (the least privilege README asks for).
import { afterAll, beforeAll } from 'vitest';
import { createPostgresqlIssuer } from '../../src/providers/issuers/postgresql/issuer.js';
import { postgresqlIssuerSchema } from '../../src/providers/issuers/postgresql/schema.js';
import { startPostgres, type Postgres } from '../peers/postgresql.js';
import { keyIssuerContract } from './key-issuer.contract.js';

let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

let n = 0;
keyIssuerContract('postgresql (PostgreSQL 15)', async () => {
  const { roles, admin } = await pg.alternating(`contract${++n}`);
  const config = postgresqlIssuerSchema.parse({ type: 'postgresql', host: pg.host, port: pg.port, admin: { user: admin.user, passwordEnv: 'KEYROT_TEST_PG' }, roles });
  const ctx = { planName: 'contract', planDir: '.', stateDir: '.keyrot', env: { KEYROT_TEST_PG: admin.password }, now: () => new Date(), note: () => undefined };
  return { issuer: createPostgresqlIssuer(config, ctx) };
});
