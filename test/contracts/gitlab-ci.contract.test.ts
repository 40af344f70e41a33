// The SecretStore contract for gitlab-ci, against the GitLab test server (test/peers/vendors/gitlab.ts),
// which checks every request and answer against GitLab's published description: a project variable in
// one environment scope, and a group variable. `holds` reads what GitLab holds in every scope of the key.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { gitlabCiStoreSchema } from '../../src/providers/stores/gitlab-ci/schema.js';
import { createGitlabCiStore } from '../../src/providers/stores/gitlab-ci/store.js';
import { type GitlabTestServer, type Owner, startGitlabServer } from '../peers/vendors/gitlab.js';
import { PLAN, secretStoreContract } from './secret-store.contract.js';

describe('gitlab-ci on the GitLab test server', () => {
  let server: GitlabTestServer;
  let token: string;
  beforeAll(async () => {
    server = await startGitlabServer();
    server.addProject('acme/payments');
    server.addGroup('acme');
    token = server.token({ scopes: ['api'], roles: { 'acme/payments': 40, acme: 50 } });
  });
  afterAll(async () => {
    expect(server.violations).toEqual([]);
    await server?.close();
  });

  const targets: Array<[string, Owner, Record<string, unknown>]> = [
    ['a project variable in environment scope production', { project: 'acme/payments' }, { project: 'acme/payments', environmentScope: 'production' }],
    ['a group variable', { group: 'acme' }, { group: 'acme' }],
  ];
  for (const [title, owner, fields] of targets) {
    secretStoreContract(`gitlab-ci, ${title} (GitLab test server)`, async () => {
      const key = `KEYROT_CONTRACT_${randomBytes(4).toString('hex').toUpperCase()}`;
      const scope = (fields.environmentScope as string | undefined) ?? '*';
      const ctx = { planName: PLAN, planDir: process.cwd(), stateDir: process.cwd(), env: { GL_KEYROT_TOKEN: token }, now: () => new Date(), note: () => undefined };
      const make = (adopt: boolean) =>
        createGitlabCiStore(
          gitlabCiStoreSchema.parse({ type: 'gitlab-ci', ...fields, key, value: 'key:{{secret}}', tokenEnv: 'GL_KEYROT_TOKEN', url: server.baseUrl, adopt }),
          ctx,
        );
      const mine = () => server.variables(owner).filter((v) => v.key === key);
      return {
        store: make(false),
        adopting: () => make(true),
        writeUnmanaged: async () => server.setVariable(owner, { key, value: randomBytes(20).toString('hex'), environment_scope: scope }),
        writeOver: async () => server.setVariable(owner, { key, value: `key:${randomBytes(20).toString('hex')}`, environment_scope: scope }),
        // GitLab keeps no older value: what it holds is the key's value in each scope.
        holds: async (secret) => mine().some((v) => v.value.includes(secret)),
        revision: async () => JSON.stringify(mine()),
      };
    });
  }
});
