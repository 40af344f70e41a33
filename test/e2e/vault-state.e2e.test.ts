// keyrot from many hosts: state, locks, ledgers and audit in Vault (--state vault://… / KEYROT_STATE),
// against OpenBao. Each "host" is its own empty working folder holding only the plan file; they share
// nothing but Vault, where the key is also published (secret/apps/<id>).
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { type CliResult, keyrot, startKeyrot } from '../helpers/cli.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';

let bao: OpenBao;
beforeAll(async () => {
  bao = await startOpenBao();
}, 120_000);
afterAll(async () => {
  await bao?.stop();
});

let hosts: Workspace[];
let id: string;
let spec: string;
beforeEach(() => {
  id = randomUUID().slice(0, 8);
  spec = `vault://secret/keyrot-e2e/${id}?lease=5s`;
  hosts = [workspace(), workspace()];
});
afterEach(() => hosts.forEach((h) => h.cleanup()));

const env = () => ({ VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, KEYROT_STATE: spec });

/** The same plan in each host's folder: a generated key published to Vault. */
function writePlans(extra: Record<string, unknown>): void {
  const body = localPlan('shared', {
    schedule: { maxAge: '1h' },
    soak: '1s',
    publish: [{ type: 'vault-kv2', mount: 'secret', path: `apps/${id}`, data: { key_id: '{{keyId}}', api_key: '{{secret}}' } }],
    ...extra,
  });
  for (const h of hosts) h.plan('shared', body);
}

const readKv = async (path: string): Promise<Record<string, string> | undefined> => (await bao.root.get(`secret/data/${path}`)).body?.data?.data;
const stateOf = async () => JSON.parse((await readKv(`keyrot-e2e/${id}/state/shared`))?.record || 'null');
const ledgerOf = async (): Promise<{ id: string; status: string; createdAt: string }[]> => JSON.parse((await readKv(`keyrot-e2e/${id}/ledger/shared`))?.ledger ?? '{"keys":[]}').keys;
const auditOf = async (): Promise<{ rotationId: string; phase: string; action: string }[]> => JSON.parse((await readKv(`keyrot-e2e/${id}/audit/shared`))?.records ?? '[]');
const lockOf = async () => JSON.parse((await readKv(`keyrot-e2e/${id}/lock/shared`))?.lock || 'null');

/** Issue the first key from host 0, then make it an hour old in the ledger, so the plan is due. */
async function firstKeyAged(): Promise<string> {
  const first = await keyrot(['run', '--yes', 'shared.yaml'], { cwd: hosts[0]!.dir, env: env() });
  expect(first.code, first.stderr).toBe(0);
  const [key] = await ledgerOf();
  const aged = [{ ...key, createdAt: new Date(Date.now() - 2 * 3_600_000).toISOString() }];
  const meta = (await bao.root.get(`secret/metadata/keyrot-e2e/${id}/ledger/shared`)).body.data;
  const write = await bao.root.post(`secret/data/keyrot-e2e/${id}/ledger/shared`, { data: { ledger: JSON.stringify({ keys: aged }) }, options: { cas: meta.current_version } });
  expect(write.status).toBe(200);
  return key!.id;
}

/** Rotations that created a key, by rotation id. */
const rotations = async () => new Set((await auditOf()).filter((r) => r.phase === 'create').map((r) => r.rotationId));

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What every test checks at the end: one active key, published, and no secret in keyrot's records. */
async function oneActiveKeyPublished(): Promise<string> {
  const keys = await ledgerOf();
  expect(keys.map((k) => k.status)).toEqual(['active']);
  const served = await readKv(`apps/${id}`);
  expect(served?.key_id).toBe(keys[0]!.id);
  const records = JSON.stringify([await stateOf(), keys, await auditOf(), await lockOf()]);
  expect(records.includes(served!.api_key!)).toBe(false);
  // Nothing was kept on the hosts' disks: each folder holds only its plan.
  for (const h of hosts) expect(readdirSync(h.dir)).toEqual(['shared.yaml']);
  return keys[0]!.id;
}

describe('two hosts, one plan, Vault state', () => {
  it('both run at once: exactly one rotation happens; the other waits for the lock, then finds nothing due', async () => {
    writePlans({ drain: '2s' });
    const oldKey = await firstKeyAged();
    const args = ['run', '--due', '--yes', '--wait-lock', '2m', '--output', 'json', 'shared.yaml'];
    const [a, b] = await Promise.all(hosts.map((h) => keyrot(args, { cwd: h.dir, env: env() })));
    for (const r of [a, b]) expect(r!.code, r!.stderr).toBe(0);
    const notDue = [a, b].filter((r) => r!.stdout.includes('"type":"not-due"'));
    expect(notDue).toHaveLength(1);
    expect((await rotations()).size).toBe(2); // the first key's, and this one
    const newKey = await oneActiveKeyPublished();
    expect(newKey).not.toBe(oldKey);
    // status and history answer the same from either host.
    for (const h of hosts) {
      const history = await keyrot(['history', '--output', 'json', 'shared'], { cwd: h.dir, env: env() });
      expect(history.stdout.split('\n').filter(Boolean).length).toBe((await auditOf()).length);
      const status = await keyrot(['status', '--output', 'json', 'shared.yaml'], { cwd: h.dir, env: env() });
      expect(JSON.parse(status.stdout).plans[0].activeKey.id).toBe(newKey);
    }
  }, 120_000);

  it('the holder is killed with SIGKILL mid-rotation: the other takes over once the lease expires and finishes it', async () => {
    writePlans({ drain: '6s' });
    const oldKey = await firstKeyAged();
    const args = ['run', '--due', '--yes', '--wait-lock', '2m', '--output', 'json', 'shared.yaml'];
    // The second host starts once the first holds the lock at drain: started at once, its lock-free due
    // check could read the record before the first host's first save and the key list after its create,
    // find a fresh key, and rightly skip the plan as not due (exit 0) instead of waiting for the lock.
    const victim = startKeyrot(args, { cwd: hosts[0]!.dir, env: env() });
    await until('the drain', async () => (await stateOf())?.phase === 'drain');
    expect((await lockOf())?.pid).toBe(victim.child.pid);
    const survivor = startKeyrot(args, { cwd: hosts[1]!.dir, env: env() });
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    const killed: CliResult = await victim.done;
    expect(killed.signal).toBe('SIGKILL');
    const done = await survivor.done;
    expect(done.code, done.stderr).toBe(0);
    // Not before its lease expired: 5 s after its last renewal, which came at most a third of a lease before the kill.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(3_300);
    expect(done.stdout).toContain('"resumed":true');
    expect((await rotations()).size).toBe(2);
    const state = await stateOf();
    expect(state).toMatchObject({ phase: 'done', oldKeyId: oldKey });
    expect(await oneActiveKeyPublished()).toBe(state.newKeyId);
    expect(await lockOf()).toBeNull(); // released
  }, 120_000);
});

// Issue 25, defect 12: {"record": 5} was taken for "no record" and overwritten by a new rotation.
describe('a record or ledger in Vault that keyrot did not write in its own shape', () => {
  it.each([
    ['state', { record: 5 }, 'its "record" is a number, not the JSON text keyrot writes'],
    ['state', { record: '{}', note: 'hand-written' }, 'it holds a field keyrot never writes (note) beside "record"'],
    ['state', { other: 'x' }, 'it has no "record" field (only other)'],
    ['ledger', { ledger: ['a'] }, 'its "ledger" is a list, not the JSON text keyrot writes'],
  ])('%s %j: refused with exit 2 naming where it is, and left as it was', async (purpose, data, reason) => {
    writePlans({});
    const at = `secret/data/keyrot-e2e/${id}/${purpose}/shared`;
    expect((await bao.root.post(at, { data })).status).toBe(200);
    const run = await keyrot(['run', '--yes', 'shared.yaml'], { cwd: hosts[0]!.dir, env: env() });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`vault://secret/keyrot-e2e/${id}/${purpose}/shared is not a rotation record keyrot can use: ${reason}: it was not written by keyrot`);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    expect((await bao.root.get(at)).body?.data?.data).toEqual(data);
    expect(await readKv(`apps/${id}`)).toBeUndefined(); // nothing was rotated
  });

  it('keyrot abandon sets the record aside as it was found, and the next run starts over', async () => {
    writePlans({});
    expect((await bao.root.post(`secret/data/keyrot-e2e/${id}/state/shared`, { data: { record: 5 } })).status).toBe(200);
    const abandon = await keyrot(['abandon', 'shared.yaml'], { cwd: hosts[0]!.dir, env: env() });
    expect(abandon.code, abandon.stderr).toBe(0);
    const [aside] = (await bao.root.get(`secret/metadata/keyrot-e2e/${id}/unusable?list=true`)).body.data.keys as string[];
    expect((await readKv(`keyrot-e2e/${id}/unusable/${aside}`))?.record).toBe('{"record":5}');
    const run = await keyrot(['run', '--yes', 'shared.yaml'], { cwd: hosts[0]!.dir, env: env() });
    expect(run.code, run.stderr).toBe(0);
  });
});

describe('keyrot state migrate', () => {
  it('moves a folder with a rotation parked in drain to Vault (refused while a run holds its lock); a run in another folder finishes it', async () => {
    writePlans({ drain: '8s' });
    const [here, there] = hosts as [Workspace, Workspace];
    const fileEnv = { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken }; // state in .keyrot/ beside the plan
    expect((await keyrot(['run', '--yes', 'shared.yaml'], { cwd: here.dir, env: fileEnv })).code).toBe(0);
    const oldKey = here.json<{ keys: { id: string }[] }>('.keyrot/generated/shared.json').keys[0]!.id;

    // A run waiting through the drain holds the plan's lock: the move is refused, naming it.
    const waiting = startKeyrot(['run', '--yes', 'shared.yaml'], { cwd: here.dir, env: fileEnv });
    await until('the drain', async () => here.exists('.keyrot/state/shared.json') && here.json<{ phase: string }>('.keyrot/state/shared.json').phase === 'drain');
    const refused = await keyrot(['state', 'migrate', '--from', '.keyrot', '--to', spec], { cwd: here.dir, env: fileEnv });
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`locked by pid ${waiting.child.pid}`);
    expect(await stateOf()).toBeNull();
    waiting.child.kill('SIGINT');
    expect((await waiting.done).code).toBe(130); // parked in drain, its deadline stored

    const moved = await keyrot(['state', 'migrate', '--from', '.keyrot', '--to', spec], { cwd: here.dir, env: fileEnv });
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('shared  rotation record copied (drain), 2 ledger keys');
    expect(await stateOf()).toMatchObject({ phase: 'drain', oldKeyId: oldKey });
    const again = await keyrot(['state', 'migrate', '--from', '.keyrot', '--to', spec], { cwd: here.dir, env: fileEnv });
    expect(again.stdout).toContain('shared  rotation record already there, 2 ledger keys, 0 audit records');

    const finished = await keyrot(['run', '--yes', 'shared.yaml'], { cwd: there.dir, env: env() });
    expect(finished.code, finished.stderr).toBe(0);
    expect(await stateOf()).toMatchObject({ phase: 'done', oldKeyId: oldKey });
    expect((await rotations()).size).toBe(2);
    const history = await keyrot(['history', 'shared'], { cwd: there.dir, env: env() });
    // The history moved with it: the first key's creation (on the first host's disk) and the delete done from the second.
    expect(history.stdout).toContain(`created ${oldKey}`);
    expect(history.stdout).toContain(`deleted ${oldKey}`);
    hosts = [there]; // only the finishing host must have kept nothing on disk
    await oneActiveKeyPublished();
    hosts = [here, there];
  }, 120_000);
});

describe('a run whose output reader goes away (issue 17: "p941 is locked by pid …" on the next tick)', () => {
  it('goes on without its output: every plan finishes, no lock is left held, and the exit code is the run\'s own', async () => {
    // The CronJob bench's first tick over 1000 plans was cut off this way (its pipe filled up): keyrot
    // exited 0 at once, mid-rotation, and the plans in flight stayed locked in Vault for a lease.
    const host = hosts[0]!;
    const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
    for (const name of names) {
      host.plan(name, localPlan(name, { schedule: { maxAge: '1h' }, publish: [{ type: 'vault-kv2', mount: 'secret', path: `apps/${id}/${name}`, data: { api_key: '{{secret}}' } }] }));
    }
    const { child, done } = startKeyrot(['run', '--due', '--no-wait', '--yes', '--plain', '--concurrency', '4', '.'], { cwd: host.dir, env: env() });
    // The reader takes the first line and goes away, as `keyrot run … | head -1` does.
    child.stdout!.once('data', () => child.stdout!.destroy());
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    for (const name of names) {
      expect(JSON.parse((await readKv(`keyrot-e2e/${id}/lock/${name}`))?.lock || 'null'), `${name}'s lock`).toBeNull();
      expect(JSON.parse((await readKv(`keyrot-e2e/${id}/state/${name}`))?.record || 'null')?.phase, `${name}'s rotation`).toBe('done');
    }
  }, 60_000);
});
