// The soak counts from the moment no target serves the old key any more. A retire that failed (here:
// the Vault policy lacks "update" on secret/delete/...) is finished by the re-run first, and the soak
// starts then: never from the issuer's deactivation, however long ago that was. The engine runs
// in-process with a fake clock (no real waiting) against a real OpenBao.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { load, revoke, run, stateDirOf } from '../helpers/engine.js';
import { readLedger, readState } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { versionStates } from '../peers/vault-api.js';

const HOUR = 3_600_000;
const KINDS = ['data', 'metadata', 'delete', 'undelete', 'destroy'];
const policy = (kinds: string[]) => kinds.map((kind) => `path "secret/${kind}/apps/*" { capabilities = ["create", "read", "update"] }`).join('\n');

let bao: OpenBao;
let ws: Workspace;
const saved = { VAULT_ADDR: process.env.VAULT_ADDR, VAULT_TOKEN: process.env.VAULT_TOKEN };
beforeAll(async () => {
  bao = await startOpenBao();
  await bao.policy('apps', policy(KINDS));
  // The engine's providers read VAULT_ADDR and VAULT_TOKEN from the process environment.
  process.env.VAULT_ADDR = bao.address;
  process.env.VAULT_TOKEN = await bao.token(['apps']);
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await bao?.stop();
});
beforeEach(async () => {
  ws = workspace();
  await bao.policy('apps', policy(KINDS));
});
afterEach(() => ws.cleanup());

const vaultPath = () => `apps/${path.basename(ws.dir)}`;
const plan = () =>
  load(ws.plan('api', localPlan('api', {
    drain: '0s',
    soak: '1h',
    publish: [{ type: 'vault-kv2', mount: 'secret', path: vaultPath(), data: { key_id: '{{keyId}}', api_key: '{{secret}}' } }],
  })));

const versions = () => versionStates(bao.root, 'secret', vaultPath());

describe('a retire that failed is finished before the soak starts', () => {
  it('rotation: the soak is counted from the re-run that retired the old version, not from the deactivation', async () => {
    const loaded = await plan();
    const clock = new FakeClock();
    expect((await run(loaded, clock)).outcome.status).toBe('done'); // v1: the first key

    await bao.policy('apps', policy(KINDS.filter((k) => k !== 'delete'))); // no soft-delete
    const failed = await run(loaded, clock, { wait: false });
    expect(failed.outcome).toMatchObject({ status: 'failed', code: 'provider-denied', exitCode: 4 });
    expect(failed.events.find((e) => e.type === 'failed')).toMatchObject({ message: expect.stringContaining(`needs "update" on secret/delete/${vaultPath()}`) });
    expect(await versions()).toEqual({ 1: 'readable', 2: 'readable' }); // the old key is still served
    const oldKey = readState(stateDirOf(loaded), 'api')!.oldKeyId!;
    expect(readLedger(stateDirOf(loaded), 'api')).toContainEqual(expect.objectContaining({ id: oldKey, status: 'inactive' }));

    clock.advance(2 * HOUR); // longer than the soak: nobody fixed the policy for a while
    await bao.policy('apps', policy(KINDS));
    const resumed = await run(loaded, clock, { wait: false });
    expect(resumed.outcome).toEqual({ status: 'waiting', until: new Date(clock.now().getTime() + HOUR) });
    expect(await versions()).toEqual({ 1: 'deleted', 2: 'readable' }); // retired now, restorable for the whole soak

    clock.advance(HOUR);
    expect((await run(loaded, clock, { wait: false })).outcome.status).toBe('done');
    expect(await versions()).toEqual({ 1: 'destroyed', 2: 'readable' });
  });

  it('revoke: the soak before the leaked key is deleted starts after the retire the re-run finished', async () => {
    const loaded = await plan();
    const clock = new FakeClock();
    expect((await run(loaded, clock)).outcome.status).toBe('done');
    const leaked = readLedger(stateDirOf(loaded), 'api')[0]!.id;

    await bao.policy('apps', policy(KINDS.filter((k) => k !== 'delete')));
    const failed = await revoke(loaded, clock, leaked);
    expect(failed.outcome).toMatchObject({ status: 'failed', code: 'provider-denied', exitCode: 4 });

    clock.advance(2 * HOUR);
    await bao.policy('apps', policy(KINDS));
    const resumed = await revoke(loaded, clock, leaked);
    expect(resumed.outcome).toEqual({ status: 'waiting', until: new Date(clock.now().getTime() + HOUR) });
    expect(readState(stateDirOf(loaded), 'api')).toMatchObject({ mode: 'revoke', phase: 'soak' });
    expect(await versions()).toEqual({ 1: 'destroyed', 2: 'readable' }); // revoke leaves no copy of a leaked secret
  });
});
