// The KeyIssuer contract for the http issuer: the README's Keyhub plan against its test server, and
// the vault-approle preset against real OpenBao (which cannot deactivate a secret_id, and says so).
import { afterAll, beforeAll } from 'vitest';
import { startOpenBao, type OpenBao } from '../peers/openbao.js';
import { startKeyhub } from '../peers/keyhub-server.js';
import { issuerFrom, keyhubPlan } from '../helpers/http-issuer.js';
import { workspace } from '../helpers/workspace.js';
import { keyIssuerContract } from './key-issuer.contract.js';

keyIssuerContract('http: Keyhub plan (test server)', async () => {
  const hub = await startKeyhub();
  const ws = workspace();
  const plan = keyhubPlan(ws, hub.url, (y) => y.replace('auth: { type: bearer', 'verifyTimeout: 2s\n  auth: { type: bearer'));
  const issuer = await issuerFrom(plan, { KEYHUB_ADMIN_TOKEN: hub.adminToken });
  return { issuer, cleanup: async () => { await hub.close(); ws.cleanup(); } };
});

let bao: OpenBao;
beforeAll(async () => {
  bao = await startOpenBao();
}, 180_000);
afterAll(() => bao?.stop());

let n = 0;
keyIssuerContract('http: vault-approle preset (OpenBao)', async () => {
  const role = `contract-${++n}`;
  const { roleId } = await bao.appRole(role, ['default']);
  // the helper minted one secret_id without keyrot's marker: it must stay invisible and untouched
  const ws = workspace();
  const plan = ws.plan('approle', {
    apiVersion: 'keyrot/v1', name: 'approle', publish: [{ type: 'file', path: 'keys.json' }],
    source: { type: 'http', preset: 'vault-approle', baseUrl: bao.address, verifyTimeout: '2s', auth: { type: 'headers', headersFromEnv: { 'X-Vault-Token': 'BAO_ADMIN' } }, values: { role, roleId } },
  });
  const issuer = await issuerFrom(plan, { BAO_ADMIN: bao.rootToken });
  return { issuer, cleanup: async () => ws.cleanup() };
});
