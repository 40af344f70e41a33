// keyrot revoke on the local demo issuer, through the built binary: the command's own rules.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, keyrot } from '../helpers/cli.js';
import { readLedger, readStore } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

function expireSoak() {
  const file = path.join(ws.dir, '.keyrot', 'state', 'api.json');
  const state = JSON.parse(readFileSync(file, 'utf8'));
  state.deadlines.soak = new Date(Date.now() - 1000).toISOString();
  ws.write('.keyrot/state/api.json', JSON.stringify(state));
}

describe('keyrot revoke', () => {
  it('warns, revokes and replaces; --delete only finishes a revoke in flight; a finished one is named', async () => {
    const plan = ws.plan('api', localPlan('api'));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0);
    const leaked = readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId;

    const tooSoon = await keyrot(['revoke', '--delete', '--yes', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(tooSoon.code).toBe(2);
    expect(tooSoon.stderr).toContain(`no revoke of ${leaked} is in flight for plan api`);
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api')).toEqual([expect.objectContaining({ id: leaked, status: 'active' })]);

    const revoked = await keyrot(['revoke', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout + revoked.stderr).toContain(`revoking ${leaked} of plan api now: anything still using it fails until it loads the replacement`);
    expect(revoked.stdout).toContain(`deactivated leaked key ${leaked}`);
    expect(readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId).not.toBe(leaked);

    expireSoak();
    const deleted = await keyrot(['revoke', '--delete', '--yes', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api').map((k) => k.id)).not.toContain(leaked);

    const again = await keyrot(['revoke', '--delete', '--yes', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`key ${leaked} was revoked and deleted by rotation \\S+ of plan api`));
  });

  it('--secret-stdin revokes the key whose secret is piped in, without printing it; without a terminal --delete needs --yes', async () => {
    const plan = ws.plan('api', localPlan('api', { soak: '0s' }));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0);
    const { keyId: leaked, secret } = readStore(path.join(ws.dir, 'api-keys.json')).current!;

    const piped = spawnSync(process.execPath, [BIN, 'revoke', '--secret-stdin', ws.dir], { cwd: ws.dir, input: `${secret}\n`, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(piped.status, piped.stderr).toBe(0);
    expect(`${piped.stdout}${piped.stderr}`.includes(secret)).toBe(false);
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api')).toContainEqual(expect.objectContaining({ id: leaked, status: 'inactive' }));

    const unattended = await keyrot(['revoke', '--delete', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(unattended.code).toBe(3);
    expect(unattended.stderr).toContain('--yes');
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api').map((k) => k.id)).toContain(leaked);
  });
});
