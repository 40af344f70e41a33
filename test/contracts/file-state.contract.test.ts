// The file state store (the embedded default) against the StateStore contract, on a real temporary folder.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newRotation } from '../../src/engine/rotation.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { failure } from './secret-store.contract.js';
import { stateStoreContract } from './state-store.contract.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

stateStoreContract('file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keyrot-state-contract-'));
  return {
    store: new FileStateStore(dir),
    spec: dir,
    env: {},
    reopen: () => new FileStateStore(dir),
    // A dead holder on this host: its lock file is refreshed every second and taken over 2 s after the last refresh.
    takeoverAfterMs: 900,
    takeoverWithinMs: 5_000,
    corrupt: async (plan) => writeFileSync(path.join(dir, 'state', `${plan}.json`), '{"format": 1, "plan": '),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

// What the file store does beyond the contract (issue 17): it writes only when a record changed, and a
// crash in the middle of a write leaves the previous record as it was.
describe('the file state store on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'keyrot-state-file-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const fileOf = (plan: string) => path.join(dir, 'state', `${plan}.json`);

  it('a save that changes nothing but the time leaves the file untouched: same inode, same mtime, same version', async () => {
    const store = new FileStateStore(dir);
    const saved = await store.save(newRotation('api', new Date('2026-11-01T00:00:00Z'), 'r1'));
    const before = statSync(fileOf('api'));
    const text = readFileSync(fileOf('api'), 'utf8');
    const again = await store.save({ ...saved, updatedAt: new Date('2026-11-01T00:05:00Z').toISOString() });
    expect(again.version).toBe(saved.version);
    const after = statSync(fileOf('api'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(readFileSync(fileOf('api'), 'utf8')).toBe(text);
    // A change is written, as the next version; so is one after the process starts again (load, save).
    const moved = await store.save({ ...again, phase: 'publish' });
    expect(moved.version).toBe(saved.version + 1);
    expect(statSync(fileOf('api')).ino).not.toBe(before.ino);
    const reopened = new FileStateStore(dir);
    const loaded = (await reopened.load('api'))!;
    expect((await reopened.save({ ...loaded, phase: 'verify' })).version).toBe(moved.version + 1);
  });

  it('another writer in between is still refused (state-conflict), though the record is not read again before each save', async () => {
    const store = new FileStateStore(dir);
    const mine = (await store.load('api')) ?? (await store.save(newRotation('api', new Date(), 'r1')));
    const theirs = new FileStateStore(dir);
    await theirs.save({ ...(await theirs.load('api'))!, phase: 'publish' });
    expect((await failure(store.save({ ...mine, phase: 'verify' }))).code).toBe('state-conflict');
    expect((await store.load('api'))?.phase).toBe('publish');
  });

  it('a process killed between writing the temporary file and renaming it leaves the previous record readable', async () => {
    const first = await new FileStateStore(dir).save(newRotation('api', new Date(), 'r1'));
    // The built store in a child whose rename SIGKILLs it: the new record is written and fsync'd, never renamed.
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import fs from 'node:fs';
      import { syncBuiltinESMExports } from 'node:module';
      const die = () => { process.kill(process.pid, 'SIGKILL'); return new Promise(() => {}); };
      fs.promises.rename = die;
      fs.rename = die;
      fs.renameSync = die;
      syncBuiltinESMExports();
      const { FileStateStore } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/state/file-store.js')).href)});
      const store = new FileStateStore(${JSON.stringify(dir)});
      const state = await store.load('api');
      await store.save({ ...state, phase: 'publish', stage: 'acting' });
    `], { encoding: 'utf8' });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const left = readdirSync(path.join(dir, 'state'));
    expect(left.filter((n) => n !== 'api.json')).toHaveLength(1); // the temporary file, complete, never renamed
    const store = new FileStateStore(dir);
    expect(await store.load('api')).toEqual(first);
    expect((await store.list()).map((s) => s.plan)).toEqual(['api']);
    expect((await store.save({ ...first, phase: 'publish' })).version).toBe(first.version + 1);
  });

  it('a held audit log is opened by its first append only, and every record is in the file as soon as its append returns', async () => {
    const store = new FileStateStore(dir);
    const log = path.join(dir, 'audit.jsonl');
    const at = (action: string) => ({ time: new Date().toISOString(), plan: 'api', rotationId: 'r1', phase: 'create', action, oldKeyId: null, newKeyId: null, outcome: 'ok' as const, detail: '' });
    const release = store.audit.hold!();
    expect(readdirSync(dir)).not.toContain('audit.jsonl'); // a plan with nothing to do leaves no log behind
    await store.audit.append(at('created'));
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).action)).toEqual(['created']);
    // Another process (another store on the same folder) appends in between: the lines never interleave.
    await new FileStateStore(dir).audit.append(at('theirs'));
    await store.audit.append(at('published'));
    await release();
    await store.audit.append(at('after-release'));
    expect((await new FileStateStore(dir).audit.read()).map((r) => r.action)).toEqual(['created', 'theirs', 'published', 'after-release']);
  });

  it('held, the appends of many plans at once are each in the file, whole and in order, as soon as each returns', async () => {
    const store = new FileStateStore(dir);
    const log = path.join(dir, 'audit.jsonl');
    const at = (plan: string, action: string) => ({ time: new Date().toISOString(), plan, rotationId: 'r1', phase: 'create', action, oldKeyId: null, newKeyId: null, outcome: 'ok' as const, detail: '' });
    // The complete lines only: another plan's append may be half-way through its write as this reads (a
    // reader is not locked out of a file being written), and that line is not yet returned to anyone.
    const completeLines = (text: string) => text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
    const actionsOf = (plan: string) => completeLines(readFileSync(log, 'utf8')).map((l) => JSON.parse(l) as { plan: string; action: string }).filter((r) => r.plan === plan).map((r) => r.action);
    const release = store.audit.hold!();
    const steps = ['create', 'publish', 'verify', 'deactivate', 'delete'];
    await Promise.all(Array.from({ length: 16 }, async (_, p) => {
      for (const [i, step] of steps.entries()) {
        await store.audit.append(at(`p${p}`, step));
        expect(actionsOf(`p${p}`)).toEqual(steps.slice(0, i + 1));
      }
    }));
    await release();
    expect((await new FileStateStore(dir).audit.scan()).unreadable).toBe(0);
  });
});
