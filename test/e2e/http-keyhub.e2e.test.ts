// The README's worked example (rotation-plans/keyhub.yaml, no preset) through the built binary
// against the Keyhub test server: plan, doctor, a full rotation, and a refused admin credential.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot, type CliResult } from '../helpers/cli.js';
import { keyhubPlan } from '../helpers/http-issuer.js';
import { leakedIndexes, readAudit, readStore } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startKeyhub, type Keyhub } from '../peers/keyhub-server.js';

let hub: Keyhub;
let ws: Workspace;
beforeEach(async () => {
  hub = await startKeyhub();
  ws = workspace();
  keyhubPlan(ws, hub.url, (y) => y.replace('drain: 15m', 'drain: 0s').replace('soak: 7d', 'soak: 0s'));
});
afterEach(async () => {
  await hub.close();
  ws.cleanup();
});

const run = (args: string[], token = hub.adminToken) => keyrot(args, { cwd: ws.dir, env: { KEYHUB_ADMIN_TOKEN: token } });
const text = (...runs: CliResult[]) => runs.map((r) => r.stdout + r.stderr).join('\n');

describe('the Keyhub plan through keyrot', () => {
  it('plan shows each phase\'s calls with Keyhub\'s paths; doctor passes', async () => {
    const plan = await run(['plan', 'keyhub.yaml']);
    expect(plan.code, text(plan)).toBe(0);
    for (const call of ['GET /api/v1/service-keys', 'POST /api/v1/service-keys', 'GET /api/v1/whoami with the new key', 'POST /api/v1/service-keys/{{keyId}}/disable', 'DELETE /api/v1/service-keys/{{keyId}}']) {
      expect(plan.stdout).toContain(`Keyhub: ${call}`);
    }
    const doctor = await run(['doctor', 'keyhub.yaml']);
    expect(doctor.code, text(doctor)).toBe(0);
    expect(doctor.stdout).toMatch(/admin credential from \$KEYHUB_ADMIN_TOKEN/);
    expect(doctor.stdout).toMatch(/0 of 2 key slots used/);
  });

  it('rotates: the old key is disabled, then deleted; only the new key is left, and no secret is printed', async () => {
    hub.seed(2);
    const first = await run(['run', 'keyhub.yaml']);
    expect(first.code, text(first)).toBe(0);
    const old = readStore(path.join(ws.dir, 'billing-keys.json')).current!;
    hub.use(old.keyId, new Date(Date.now() - 3_600_000)); // its consumers last used it an hour ago: quiet for the 30m gate
    const rotated = await run(['run', '--yes', 'keyhub.yaml']);
    expect(rotated.code, text(rotated)).toBe(0);
    const now = readStore(path.join(ws.dir, 'billing-keys.json')).current!;
    expect(hub.keys.filter((k) => k.name.startsWith('keyrot-')).map((k) => k.id)).toEqual([now.keyId]);
    expect(hub.keys.filter((k) => k.name.startsWith('someone-else'))).toHaveLength(2);
    const actions = readAudit(path.join(ws.dir, '.keyrot')).map((r) => `${r.action}:${r.outcome}`);
    expect(actions).toContain('deactivate-key:ok');
    expect(hub.requests.some((r) => r.method === 'POST' && r.path === `/api/v1/service-keys/${old.keyId}/disable`)).toBe(true);
    expect(leakedIndexes(text(first, rotated), [old.secret, now.secret, hub.adminToken])).toEqual([]);
  });

  it('a refused admin credential exits 4 naming Keyhub, the call and where the credential comes from', async () => {
    const refused = await run(['run', 'keyhub.yaml'], 'not-the-admin-token-42');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('Keyhub: list (GET /api/v1/service-keys) answered 401: the admin credential ($KEYHUB_ADMIN_TOKEN) was refused');
    expect(refused.stderr).toContain('keyrot doctor keyhub.yaml');
    expect(refused.stderr).not.toContain('not-the-admin-token-42');
  });
});
