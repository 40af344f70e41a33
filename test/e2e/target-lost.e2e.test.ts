// Issue 12, defect 5: deactivate must not trust what verify saw. OpenBao restarted empty in the middle of
// a rotation (after verify, before deactivate): the old key stays active, the run holds (exit 3), and the
// next run publishes the new key there again from the file that still holds it, then finishes.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes, readAudit, readLedger, readState, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';

let ws: Workspace;
let bao: OpenBao;
beforeAll(async () => {
  bao = await startOpenBao();
});
afterAll(() => bao?.stop());
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const stateDir = () => path.join(ws.dir, '.keyrot');
const env = () => ({ VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken });
const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => keyrot(args, { cwd: ws.dir, env: { ...env(), ...extra } });
const fileKey = () => readStore(path.join(ws.dir, 'api-keys.json')).current!;
async function vaultKey() {
  const data = (await bao.root.get('secret/data/apps/api')).body?.data?.data as Record<string, string> | undefined;
  return data && { keyId: data.key_id, fingerprint: fingerprint(data.api_key!) };
}

describe('deactivate reads every target again', () => {
  it('holds when OpenBao came back empty after verify, then publishes there again and finishes', async () => {
    const plan = ws.plan('api', localPlan('api', {
      drain: '0s',
      soak: '0s',
      publish: [
        { type: 'file', path: 'api-keys.json' },
        { type: 'vault-kv2', mount: 'secret', path: 'apps/api', data: { key_id: '{{keyId}}', api_key: '{{secret}}' } },
      ],
      // Consumers told to reload count on the overlap: the drain phase is on disk before they are told.
      notify: [{ type: 'command', run: 'true', on: ['reload'] }],
    }));
    const first = await run(['run', plan]);
    expect(first.code, first.stderr).toBe(0);
    const oldKey = fileKey().keyId;

    // Stop right after verify passed and the overlap began: both targets serve the new key.
    const killed = await run(['run', '--yes', plan], { KEYROT_TEST_KILL_AFTER: 'drain:acting' });
    expect(killed.signal).toBe('SIGKILL');
    const newKey = fileKey();
    expect((await vaultKey())?.keyId).toBe(newKey.keyId);

    await bao.restart(); // empty: the Vault target holds nothing now
    expect(await vaultKey()).toBeUndefined();

    const held = await run(['run', '--yes', plan]);
    expect(held.code, held.stderr).toBe(3);
    expect(held.stdout + held.stderr).toMatch(/the new key \S+ is no longer served by /);
    expect(held.stdout + held.stderr).toContain(`keyrot run ${plan}`);
    expect(readLedger(stateDir(), 'api').find((k) => k.id === oldKey)?.status).toBe('active'); // guarantee 1 at deactivation
    expect(readState(stateDir(), 'api')).toMatchObject({ phase: 'verify', stage: 'ready', hold: { code: 'target-lost' } });

    const resumed = await run(['run', '--yes', plan]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await vaultKey()).toEqual({ keyId: newKey.keyId, fingerprint: fingerprint(newKey.secret) });
    expect(readLedger(stateDir(), 'api').map((k) => `${k.id}:${k.status}`)).toEqual([`${newKey.keyId}:active`]);
    const actions = readAudit(stateDir()).filter((r) => r.newKeyId === newKey.keyId).map((r) => `${r.action}:${r.outcome}`);
    expect(actions.indexOf('publish:ok', actions.indexOf('held:held'))).toBeGreaterThan(-1); // published again after the hold
    expect(actions.indexOf('publish:ok', actions.indexOf('held:held'))).toBeLessThan(actions.indexOf('deactivate-key:ok'));

    // Defect 10 on the real server: Vault came back without the old key's version, so the destroy there
    // matched nothing; the audit log says so (skipped), not that it destroyed anything.
    const vaultRetires = readAudit(stateDir()).filter((r) => r.newKeyId === newKey.keyId && /retire-from-store|purge-from-store/.test(r.action) && r.detail?.includes('vault'));
    expect(vaultRetires.map((r) => `${r.action}:${r.outcome}`)).toEqual(['retire-from-store:skipped', 'purge-from-store:skipped']);
    expect(vaultRetires.every((r) => r.detail?.includes(`found nothing of ${oldKey}`))).toBe(true);

    const output = [first, killed, held, resumed].flatMap((r) => [r.stdout, r.stderr]).join('\n');
    expect(leakedIndexes(output, secretsIn(readStore(path.join(ws.dir, 'api-keys.json'))))).toEqual([]);
  }, 60_000);
});
