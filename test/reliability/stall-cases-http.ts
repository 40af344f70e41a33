// The stalled-answer cases of the providers that speak HTTP to a vendor (see stall-cases.ts): the http
// issuer on Keyhub and each of its presets on its vendor's test server (vault-approle on OpenBao), the
// CI stores (GitHub, GitLab test servers) and the http usage source. The presets share the http
// issuer's client: their stall and drip runs prove each preset's calls go through it, and the
// reset, refused and signal runs, which exercise the client alone, run on Keyhub's case.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { keyhubPlan } from '../helpers/http-issuer.js';
import { startRig, type VendorRig } from '../helpers/vendor-rigs.js';
import { localPlan } from '../helpers/workspace.js';
import { startKeyhub } from '../peers/keyhub-server.js';
import type { StallCase } from '../peers/stall-kit.js';
import { startGithubServer } from '../peers/vendors/github.js';
import { startGitlabServer } from '../peers/vendors/gitlab.js';
import { bao, file, ledgerOf, print } from './stall-peers.js';

const KEYHUB = 'http issuer (Keyhub)';
/** Worst case of the http issuer at a 1s timeout: 5 attempts, backoff 0.5 s doubling, jittered up to x2. */
const HTTP_ISSUER_WORST = 5_000 + 15_000;

const presetCase = (preset: VendorRig['preset']): StallCase => ({
  name: `http issuer, preset ${preset} (its vendor's test server)`, wire: 'http', exit: 4, worstMs: HTTP_ISSUER_WORST, sharesClientWith: KEYHUB,
  async start() {
    const rig = await startRig(preset);
    const origin = rig.server.origin;
    const pathPart = String(rig.source.baseUrl).slice(origin.length);
    return {
      target: origin, env: rig.env, primed: true, close: () => rig.close(),
      snapshot: async () => Object.fromEntries(rig.keys().map((k) => [k.id, k.status])),
      plan: (via, timeout) => localPlan(preset, { source: { ...rig.source, baseUrl: `${via}${pathPart}`, timeout, connectTimeout: timeout } }),
    };
  },
});

/** The http usage source's endpoint: every key was never used ({"lastUsedAt": null}). */
async function neverUsed(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"lastUsedAt":null}'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export const httpStallCases: StallCase[] = [
  {
    name: 'github-actions store', wire: 'http', exit: 4, worstMs: 4_000 + 14_000,
    async start() {
      const github = await startGithubServer();
      github.addRepository('acme/deploy', []);
      const token = github.token({ kind: 'fine-grained', repositories: ['acme/deploy'], permissions: { secrets: 'write', variables: 'write' } });
      return {
        target: github.baseUrl, env: { GH_TOKEN: token }, close: () => github.close(),
        snapshot: async () => ({ API_KEY: print(github.opened({ repository: 'acme/deploy' }, 'API_KEY')) }),
        plan: (via, timeout) => localPlan('gh', {
          publish: [file('gh'), { type: 'github-actions', repository: 'acme/deploy', name: 'API_KEY', tokenEnv: 'GH_TOKEN', apiUrl: via, timeout, rollback: false }],
        }),
      };
    },
  },
  {
    name: 'gitlab-ci store', wire: 'http', exit: 4, worstMs: 4_000 + 14_000,
    async start() {
      const gitlab = await startGitlabServer();
      gitlab.addProject('acme/deploy');
      const token = gitlab.token({ scopes: ['api'], roles: { 'acme/deploy': 40 } });
      return {
        target: gitlab.baseUrl, env: { GL_TOKEN: token }, close: () => gitlab.close(),
        snapshot: async () => ({ API_KEY: print(gitlab.variables({ project: 'acme/deploy' }).find((v) => v.key === 'API_KEY')?.value) }),
        plan: (via, timeout) => localPlan('gl', {
          publish: [file('gl'), { type: 'gitlab-ci', project: 'acme/deploy', key: 'API_KEY', value: '{{secret}}', url: via, tokenEnv: 'GL_TOKEN', timeout, rollback: false }],
        }),
      };
    },
  },
  {
    name: 'http usage source (the gate holds: exit 3)', wire: 'http', exit: 3, worstMs: 2_000,
    async start(ws) {
      const endpoint = await neverUsed();
      return {
        target: endpoint.url, primed: true, snapshot: ledgerOf(ws, 'used'), close: () => endpoint.close(),
        plan: (via, timeout) => localPlan('used', {
          drain: '0s', lastUsed: { quietFor: '1m', maxWait: '1h' },
          usage: { type: 'http', url: `${via}/keys/{{keyId}}/last-use`, timeout },
        }),
      };
    },
  },
  {
    name: KEYHUB, wire: 'http', exit: 4, worstMs: HTTP_ISSUER_WORST,
    async start(ws) {
      const hub = await startKeyhub();
      return {
        target: hub.url, env: { KEYHUB_ADMIN_TOKEN: hub.adminToken }, close: () => hub.close(), primed: true,
        snapshot: async () => Object.fromEntries(hub.keys.map((k) => [k.id, k.enabled ? 'enabled' : 'disabled'])),
        plan: (via, timeout) => {
          keyhubPlan(ws, via, (y) => y.replace('  maxKeys: 2', `  maxKeys: 2\n  timeout: ${timeout}\n  connectTimeout: ${timeout}`));
          return { ...(parseYaml(ws.read('keyhub.yaml')) as Record<string, unknown>) };
        },
      };
    },
  },
  ...(['datadog', 'twilio', 'sendgrid', 'cloudflare', 'openai'] as const).map(presetCase),
  {
    // Vault's LIST is no method Node's HTTP server parses: the tcp wire, stalled after the headers.
    name: 'http issuer, preset vault-approle (OpenBao)', wire: 'tcp', afterBytes: 'http-headers', exit: 4, worstMs: HTTP_ISSUER_WORST, sharesClientWith: KEYHUB,
    async start() {
      const b = await bao();
      const role = `stall-${randomUUID().slice(0, 8)}`;
      const { roleId } = await b.appRole(role, ['default']);
      const accessors = async () => (((await b.root.get(`auth/approle/role/${role}/secret-id?list=true`)).body?.data?.keys ?? []) as string[]);
      return {
        target: new URL(b.address).host, env: { VAULT_TOKEN: b.rootToken }, primed: true,
        snapshot: async () => Object.fromEntries((await accessors()).map((a) => [a, 'present'])),
        plan: (via, timeout) => localPlan('approle', {
          source: { type: 'http', preset: 'vault-approle', baseUrl: `http://${via}`, auth: { type: 'headers', headersFromEnv: { 'X-Vault-Token': 'VAULT_TOKEN' } }, values: { role, roleId }, timeout, connectTimeout: timeout },
        }),
      };
    },
  },
];
