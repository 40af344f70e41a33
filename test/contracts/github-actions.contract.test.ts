// The SecretStore contract for github-actions, against the GitHub test server (test/peers/vendors/
// github.ts), which checks every request and answer against GitHub's published description and opens
// each sealed box with the environment's private key: `holds` reads what GitHub really holds.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { githubActionsStoreSchema } from '../../src/providers/stores/github-actions/schema.js';
import { createGithubActionsStore } from '../../src/providers/stores/github-actions/store.js';
import { type GithubTestServer, type Scope, startGithubServer } from '../peers/vendors/github.js';
import { PLAN, secretStoreContract } from './secret-store.contract.js';

describe('github-actions on the GitHub test server', () => {
  let server: GithubTestServer;
  let token: string;
  const scope: Scope = { repository: 'acme/payments', environment: 'production' };
  beforeAll(async () => {
    server = await startGithubServer();
    server.addRepository('acme/payments', ['production']);
    token = server.token({ kind: 'fine-grained', repositories: ['acme/payments'], permissions: { environments: 'write' } });
    // GitHub's updated_at is to the second: each write here lands in a second of its own.
    let clock = Date.now();
    server.config.now = () => (clock += 1000);
  });
  afterAll(async () => {
    expect(server.violations).toEqual([]);
    await server?.close();
  });

  secretStoreContract('github-actions (GitHub test server)', async () => {
    const name = `KEYROT_CONTRACT_${randomBytes(4).toString('hex').toUpperCase()}`;
    const ctx = { planName: PLAN, planDir: process.cwd(), stateDir: process.cwd(), env: { GH_KEYROT_TOKEN: token }, now: () => new Date(), note: () => undefined };
    const make = (adopt: boolean) =>
      createGithubActionsStore(
        githubActionsStoreSchema.parse({
          type: 'github-actions', repository: 'acme/payments', environment: 'production', name, value: 'key={{secret}}',
          tokenEnv: 'GH_KEYROT_TOKEN', apiUrl: server.baseUrl, adopt,
        }),
        ctx,
      );
    return {
      store: make(false),
      adopting: () => make(true),
      writeUnmanaged: async () => server.setSecret(scope, name, randomBytes(20).toString('hex')),
      writeOver: async () => server.setSecret(scope, name, randomBytes(20).toString('hex')),
      // GitHub keeps no older value: what it holds is the current one, opened with the private key.
      holds: async (secret) => server.opened(scope, name)?.includes(secret) ?? false,
      revision: async () => JSON.stringify([server.secretMeta(scope, name), server.variable(scope, `KEYROT_${name}`)]),
    };
  });
});
