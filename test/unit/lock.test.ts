// Invariant 7 with real processes and real waits: the lock raced by eight processes, and taken from a
// dead holder within 2 s. The time rules on aged lock files, and the rest, are in file-lock.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let store: FileStateStore;
beforeEach(() => {
  ws = workspace();
  store = new FileStateStore(path.join(ws.dir, '.keyrot'));
});
afterEach(() => ws.cleanup());

const locks = () => path.join(ws.dir, '.keyrot', 'locks');
const holder = (pid: number, command = 'keyrot run api.yaml') => ({ host: os.hostname(), pid, command, since: '2026-11-27T10:00:00.000Z' });

describe('the plan lock', () => {
  it('refuses a second holder at once, naming the first (host, pid, command, since)', async () => {
    const lock = await store.lock('api', holder(process.pid), 0);
    const err = await store.lock('api', holder(process.pid, 'keyrot run again'), 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyrotError);
    expect((err as KeyrotError).code).toBe('lock-held');
    expect((err as KeyrotError).exitCode).toBe(3);
    expect((err as KeyrotError).message).toBe(`plan api is locked by pid ${process.pid} on ${os.hostname()} (keyrot run api.yaml) since 2026-11-27T10:00:00.000Z`);
    await lock.release();
  });

  it('with a wait, gets the lock once the holder releases it', async () => {
    const first = await store.lock('api', holder(process.pid), 0);
    setTimeout(() => void first.release(), 300);
    const second = await store.lock('api', holder(process.pid, 'second'), 5_000);
    expect(second.lost).toBeUndefined();
    await second.release();
  });

  it('takes over the lock of a holder that died without releasing it, within 2 s', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    mkdirSync(locks(), { recursive: true });
    writeFileSync(path.join(locks(), 'api.lock'), JSON.stringify({ ...holder(dead), token: 'dead0001' })); // as a SIGKILLed run leaves it: fresh

    const started = Date.now();
    const lock = await store.lock('api', holder(process.pid, 'the next run'), 0);
    expect(Date.now() - started).toBeLessThan(2_600);
    expect(lock.lost).toBeUndefined();
    await lock.release();
  }, 15_000);

  it('of eight processes racing for a free lock, or for a dead holder\'s, exactly one gets it', async () => {
    // Separate processes: the race is between links on disk, not within one event loop.
    const race = async () => {
      const script = `
        import { FileStateStore } from ${JSON.stringify(path.resolve('dist/state/file-store.js'))};
        const store = new FileStateStore(${JSON.stringify(path.join(ws.dir, '.keyrot'))});
        const h = { host: ${JSON.stringify(os.hostname())}, pid: process.pid, command: 'racer', since: new Date().toISOString() };
        try { const lock = await store.lock('api', h, 0); console.log('got'); await new Promise((r) => setTimeout(r, 3000)); await lock.release(); }
        catch (e) { console.log(e.code ?? e.message); }`;
      const runs = Array.from({ length: 8 }, () => new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', () => resolve(out.trim()));
      }));
      return (await Promise.all(runs)).sort();
    };
    expect(await race()).toEqual(['got', ...Array(7).fill('lock-held')]);

    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(path.join(locks(), 'api.lock'), JSON.stringify({ ...holder(dead), token: 'dead0002' }));
    expect(await race()).toEqual(['got', ...Array(7).fill('lock-held')]);
  }, 30_000);

  it('does not let a lock with no holder (left by an older keyrot, or a kill mid-write) block for more than 2 s', async () => {
    // The old layout: an empty lock folder, the holder file never written, and write-file-atomic's temp file beside it.
    mkdirSync(path.join(locks(), 'api.lock'), { recursive: true });
    writeFileSync(path.join(locks(), 'api.lock', 'holder.json'), '{"host":'); // cut short
    const started = Date.now();
    const lock = await store.lock('api', holder(process.pid), 0);
    expect(Date.now() - started).toBeLessThan(2_600);
    await lock.release();
  }, 15_000);

});
