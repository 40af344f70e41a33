// The file state store on a bad day: a record that is not one, a folder that cannot be, a full disk.
// Each is a message a user can act on (exit 2 or 4), never "internal error" with a stack.
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newRotation, type RotationState } from '../../src/engine/rotation.js';
import { KeyrotError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

// The seam for a full disk: the atomic write the store uses, failing with ENOSPC on request.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('../../src/shared/atomic-file.js', async (original) => {
  const real = await original<typeof import('../../src/shared/atomic-file.js')>();
  const writeAtomic = (async (...args: Parameters<typeof real.writeAtomic>) => {
    if (disk.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
    return real.writeAtomic(...args);
  }) as typeof real.writeAtomic;
  return { ...real, writeAtomic };
});

let ws: Workspace;
let store: FileStateStore;
beforeEach(() => {
  ws = workspace();
  store = new FileStateStore(path.join(ws.dir, '.keyrot'));
  disk.full = false;
});
afterEach(() => ws.cleanup());

const stateFile = () => path.join(ws.dir, '.keyrot', 'state', 'api.json');
const record = (): RotationState => ({ ...newRotation('api', new Date('2026-11-01T00:00:00Z'), 'r1'), version: 1 });
const writeState = (value: unknown) => {
  mkdirSync(path.dirname(stateFile()), { recursive: true });
  writeFileSync(stateFile(), typeof value === 'string' ? value : JSON.stringify(value));
};
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as KeyrotError);

describe('a state record that is not one', () => {
  it.each([
    ['a phase that does not exist', { ...record(), phase: 'bogus' }, /phase: /],
    ['published: null', { ...record(), published: null }, /published: /],
    ['a date that is not one', { ...record(), startedAt: 'yesterday-ish' }, /startedAt: a date and time/],
    ['a deadline that is not a date', { ...record(), deadlines: { drain: 42 } }, /deadlines\.drain: /],
    ['a hold without its fields', { ...record(), hold: { code: 'x' } }, /hold\.message: /],
    ['a version that is not a count', { ...record(), version: -1 }, /version: /],
    ['a record of another plan', { ...record(), plan: 'payments' }, /it is the record of plan "payments", not "api"/],
    ['a number', 42, /\(record\): /],
    ['null', null, /\(record\): /],
    ['a file cut short', JSON.stringify(record()).slice(0, 60), /it is not JSON, or was cut short/],
    ['an empty file', '', /it is empty/],
    ['a file of blank lines only', '\n  \n', /it is empty/],
    ['a record from before formats', { ...record(), format: undefined }, /format: /],
  ])('%s: state-corrupt, exit 2, naming the file, what is wrong and how to recover', async (_what, value, reason) => {
    writeState(value);
    const e = await failure(store.load('api'));
    expect(e).toBeInstanceOf(KeyrotError);
    expect(e.code).toBe('state-corrupt');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(stateFile());
    expect(e.message).toMatch(reason);
    expect(e.hint).toMatch(/restore it from a backup, or `keyrot abandon api` to set it aside/);
    // save refuses too, and leaves the file as it was.
    const before = readFileSync(stateFile(), 'utf8');
    expect((await failure(store.save(record()))).code).toBe('state-corrupt');
    expect(readFileSync(stateFile(), 'utf8')).toBe(before);
  });

  it('a record from a newer keyrot: exit 2, and the hint says to use that keyrot', async () => {
    writeState({ ...record(), format: 2, somethingNew: true });
    const e = await failure(store.load('api'));
    expect(e.message).toContain('written by a newer keyrot (format 2; this one reads format 1)');
    expect(e.hint).toMatch(/^run the newer keyrot that wrote it/);
  });

  it('keeps fields it does not know (another version of keyrot may have written them)', async () => {
    writeState({ ...record(), extra: { note: 'kept' } });
    expect(await store.load('api')).toMatchObject({ plan: 'api', extra: { note: 'kept' } });
  });

  it('set aside (keyrot abandon): moved out of the way, then the plan has no record', async () => {
    writeState('{"format": 1, "plan": "api", "pha');
    const aside = await store.setAside('api');
    expect(path.basename(aside)).toMatch(/^api\.json\.unusable-\d{8}T\d{9}Z$/);
    expect(await store.load('api')).toBeUndefined();
  });

  it('set aside when it cannot be moved (gone meanwhile): fails with state-io naming it, instead of saying where it went', async () => {
    mkdirSync(path.dirname(stateFile()), { recursive: true });
    expect(await failure(store.setAside('api'))).toMatchObject({ code: 'state-io', exitCode: 4, message: expect.stringContaining(stateFile()) });
  });
});

describe('a state folder that cannot be one', () => {
  it('.keyrot being a file: exit 2 naming it, for load, save and lock alike', async () => {
    writeFileSync(path.join(ws.dir, '.keyrot'), 'not a folder');
    const attempts = [() => store.load('api'), () => store.save({ ...record(), version: 0 }), () => store.lock('api', { host: os.hostname(), pid: process.pid, command: 'test', since: 'now' }, 0)];
    for (const attempt of attempts) {
      const e = await failure(attempt());
      expect([e.code, e.exitCode, e.message]).toEqual(['state-folder-invalid', 2, `cannot keep state in ${path.join(ws.dir, '.keyrot')}: it is a file, not a folder`]);
    }
  });

  it('--state /proc/keyrot: refused at once (recursive mkdir would spin there forever)', async () => {
    const proc = new FileStateStore('/proc/keyrot');
    const started = Date.now();
    const e = await failure(proc.lock('api', { host: os.hostname(), pid: process.pid, command: 'test', since: 'now' }, 0));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect([e.code, e.exitCode]).toEqual(['state-folder-invalid', 2]);
    expect(e.message).toBe('cannot keep state in /proc/keyrot: /proc does not allow creating folders (a virtual file system?)');
  }, 5_000);
});

describe('a full disk', () => {
  it('a save that cannot be written: exit 4 "could not write state: disk full", the previous record intact', async () => {
    const first = await store.save({ ...record(), version: 0 });
    const before = readFileSync(stateFile(), 'utf8');
    disk.full = true;
    const e = await failure(store.save({ ...first, phase: 'publish' }));
    expect([e.code, e.exitCode]).toEqual(['state-io', 4]);
    expect(e.message).toBe(`could not write state: disk full (${stateFile()})`);
    expect(e.hint).toMatch(/^the state file is as it was before this step\. Free some space on that disk, then re-run `keyrot run api`/);
    expect(readFileSync(stateFile(), 'utf8')).toBe(before);
    expect(readdirSync(path.dirname(stateFile()))).toEqual(['api.json']);
    // Space is back: the same step saves.
    disk.full = false;
    expect((await store.save({ ...first, phase: 'publish' })).version).toBe(2);
  });
});

describe('the file state store\'s own rules', () => {
  it('refuses a record larger than 4 MB without reading it all, and a folder where the record should be', async () => {
    writeState(`{"padding":"${'x'.repeat(4 * 1024 * 1024)}"}`);
    expect(await failure(store.load('api'))).toMatchObject({ code: 'state-corrupt', message: expect.stringContaining('it is larger than 4 MB; a record is a few kB') });
    ws.cleanup();
    ws = workspace();
    store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    mkdirSync(stateFile(), { recursive: true });
    expect(await failure(store.load('api'))).toMatchObject({ code: 'state-corrupt', message: expect.stringContaining('it is not a regular file') });
  });

  it('lists the records of every plan, and nothing else in the folder', async () => {
    const saved = await store.save({ ...newRotation('api', new Date('2026-11-01T00:00:00Z'), 'r1'), version: 0 });
    await store.save({ ...newRotation('billing', new Date('2026-11-01T00:00:00Z'), 'r2'), version: 0 });
    writeFileSync(path.join(path.dirname(stateFile()), 'notes.txt'), 'not a record');
    writeFileSync(path.join(path.dirname(stateFile()), 'api.json.unusable-20261101T000000000Z'), '{cut');
    expect((await store.list()).map((s) => `${s.plan} v${s.version}`).sort()).toEqual([`api v${saved.version}`, 'billing v1']);
    expect(await new FileStateStore(path.join(ws.dir, 'nothing-here')).list()).toEqual([]);
  });

  it('lists the records there are when one is gone between the folder listing and its read (status over every plan)', async () => {
    await store.save({ ...record(), version: 0 });
    // A name listed whose file is not there to read: a record removed between readdir and open, held still.
    symlinkSync(path.join(ws.dir, 'removed.json'), path.join(path.dirname(stateFile()), 'billing.json'));
    expect((await store.list()).map((s) => s.plan)).toEqual(['api']);
  });

  it('peeks at plans before any run made the state folder (status on a fresh checkout): each plan without a record', async () => {
    const pages = [];
    for await (const page of new FileStateStore(path.join(ws.dir, 'nothing-here')).peek(['api', 'billing'])) pages.push(...page);
    expect(pages).toEqual([{ plan: 'api', state: undefined }, { plan: 'billing', state: undefined }]);
  });

  it('keeps each plan\'s generated-key ledger beside the records, and lists the plans that have one', async () => {
    const ledger = store.ledger('api');
    expect(path.resolve(ledger.where)).toBe(path.join(ws.dir, '.keyrot', 'generated', 'api.json'));
    expect(await ledger.load()).toEqual({ keys: [], version: 0 });
    await ledger.save([{ id: 'key-1', status: 'active', createdAt: '2026-11-01T00:00:00.000Z', fingerprint: 'sha256:00' }], 0);
    expect(await store.ledgerPlans()).toEqual(['api']);
  });

  it('notices a record changed by another process since it was loaded, and refuses the stale save', async () => {
    const first = await store.save({ ...record(), version: 0 });
    const loaded = (await store.load('api'))!;
    writeState({ ...first, version: first.version + 1, phase: 'publish' }); // another process wrote it
    expect(await failure(store.save({ ...loaded, phase: 'verify' }))).toMatchObject({
      code: 'state-conflict', message: `state of plan api changed under this run (version ${loaded.version} expected, ${loaded.version + 1} found)`,
    });
  });

  it('makes the state folder again when it was removed under a running store, once a save has failed for it', async () => {
    await store.save({ ...record(), version: 0 });
    rmSync(path.join(ws.dir, '.keyrot'), { recursive: true });
    expect(await failure(store.save({ ...record(), version: 0 }))).toMatchObject({ code: 'state-io' });
    expect((await store.save({ ...record(), version: 0 })).version).toBe(1);
    expect(readdirSync(path.dirname(stateFile()))).toEqual(['api.json']);
  });
});
