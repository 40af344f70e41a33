// keyrot revoke on the local demo issuer, through the built binary: the command's own rules.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, keyrot, testEnv } from '../helpers/cli.js';
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
  it('warns, revokes and replaces; --delete only finishes a revoke in flight; a finished one is named (--delete again: done already, exit 0)', async () => {
    const plan = ws.plan('api', localPlan('api'));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0);
    const leaked = readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId;

    const tooSoon = await keyrot(['revoke', '--delete', '--yes', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(tooSoon.code).toBe(2);
    expect(tooSoon.stderr).toContain(`no revoke of ${leaked} is in flight for plan api`);
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api')).toEqual([expect.objectContaining({ id: leaked, status: 'active' })]);

    const revoked = await keyrot(['revoke', '--yes', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout + revoked.stderr).toContain(`revoking ${leaked} of plan api now: anything still using it fails until it loads the replacement`);
    expect(revoked.stdout).toContain(`deactivated leaked key ${leaked}`);
    expect(readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId).not.toBe(leaked);

    expireSoak();
    const deleted = await keyrot(['revoke', '--delete', '--yes', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api').map((k) => k.id)).not.toContain(leaked);

    // The same --delete again: what it asks for is done already, said with when and by which revoke (exit 0).
    const again = await keyrot(['revoke', '--delete', '--yes', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`${leaked} was deleted already by its own revoke, rotation \\S+ of plan api, finished \\d{4}-\\S+; nothing left to do`));
    // Without --delete a revoke of it is still refused as finished (exit 2): there is nothing to revoke.
    const revokeAgain = await keyrot(['revoke', '--yes', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(revokeAgain.code).toBe(2);
    expect(revokeAgain.stderr).toMatch(new RegExp(`key ${leaked} was revoked and deleted by rotation \\S+ of plan api`));
  });

  it('--secret-stdin revokes the key whose secret is piped in, without printing it; without a terminal --delete needs --yes', async () => {
    const plan = ws.plan('api', localPlan('api', { soak: '0s' }));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0);
    const { keyId: leaked, secret } = readStore(path.join(ws.dir, 'api-keys.json')).current!;

    const piped = spawnSync(process.execPath, [BIN, 'revoke', '--yes', '--secret-stdin', ws.dir], { cwd: ws.dir, input: `${secret}\n`, encoding: 'utf8', env: { ...testEnv(), NO_COLOR: '1' } });
    expect(piped.status, piped.stderr).toBe(0);
    expect(`${piped.stdout}${piped.stderr}`.includes(secret)).toBe(false);
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api')).toContainEqual(expect.objectContaining({ id: leaked, status: 'inactive' }));

    const unattended = await keyrot(['revoke', '--delete', '--key', leaked, ws.dir], { cwd: ws.dir });
    expect(unattended.code).toBe(3);
    expect(unattended.stderr).toContain('--yes');
    expect(readLedger(path.join(ws.dir, '.keyrot'), 'api').map((k) => k.id)).toContain(leaked);
  });
});

describe('keyrot revoke with no terminal and no --yes', () => {
  const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
  const status = (keyId: string) => readLedger(path.join(ws.dir, '.keyrot'), 'api').find((k) => k.id === keyId)?.status;
  async function issued(): Promise<{ keyId: string; secret: string }> {
    ws.plan('api', localPlan('api', { soak: '0s' }));
    expect((await keyrot(['run', 'api.yaml'], { cwd: ws.dir })).code).toBe(0);
    return readStore(path.join(ws.dir, 'api-keys.json')).current!;
  }

  it('changes nothing (exit 3) and names the command to paste, with --yes added; pasted, it revokes', async () => {
    const { keyId } = await issued();
    const held = await keyrot(['revoke', '--key', keyId, 'api.yaml'], { cwd: ws.dir });
    expect(held.code).toBe(3);
    expect(output(held)).toContain(`revoke of ${keyId} held: there is no terminal to ask and --yes was not given; nothing was done to it`);
    expect(status(keyId)).toBe('active');
    expect(readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId).toBe(keyId);

    const hint = /run `(keyrot [^`]+)` to go ahead/.exec(output(held));
    expect(hint?.[1], output(held)).toBe(`keyrot revoke --yes --key ${keyId} api.yaml`);
    const pasted = await keyrot(hint![1]!.split(' ').slice(1), { cwd: ws.dir });
    expect(pasted.code, output(pasted)).toBe(0);
    expect(status(keyId)).toBe('inactive');

    // --delete, later, holds the same way and names its own command.
    const unattended = await keyrot(['revoke', '--delete', '--key', keyId, 'api.yaml'], { cwd: ws.dir });
    expect(unattended.code).toBe(3);
    expect(output(unattended)).toContain(`run \`keyrot revoke --yes --delete --key ${keyId} api.yaml\``);
    expect(status(keyId)).toBe('inactive');
  });

  it('--secret-stdin with no terminal to ask on changes nothing (exit 3) and says to pipe the secret in again with --yes', async () => {
    const { keyId, secret } = await issued();
    const held = await keyrot(['revoke', '--secret-stdin', '.'], { cwd: ws.dir, input: `${secret}\n` });
    expect(held.code, output(held)).toBe(3);
    expect(output(held)).toContain(`revoke of ${keyId} held: there is no terminal to ask`);
    expect(output(held)).toContain('`… | keyrot revoke --yes --secret-stdin .`');
    expect(output(held).includes(secret)).toBe(false);
    expect(status(keyId)).toBe('active');
  });
});
