// Invariant 7: one process at a time advances a plan; the holder is named; a dead one is replaced.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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

  it('locks plans independently', async () => {
    const a = await store.lock('a', holder(process.pid), 0);
    const b = await store.lock('b', holder(process.pid), 0);
    await Promise.all([a.release(), b.release()]);
  });

  it('takes over the lock of a holder that died without releasing it, within 2 s', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    mkdirSync(path.join(locks(), 'api.lock'), { recursive: true }); // as a SIGKILLed run leaves it: fresh
    writeFileSync(path.join(locks(), 'api.lock', 'holder.json'), JSON.stringify({ ...holder(dead), token: 'dead0001' }));

    const started = Date.now();
    const lock = await store.lock('api', holder(process.pid, 'the next run'), 0);
    expect(Date.now() - started).toBeLessThan(2_600);
    expect(lock.lost).toBeUndefined();
    await lock.release();
  }, 15_000);

  it('of eight processes racing for a free lock, or for a dead holder\'s, exactly one gets it', async () => {
    // Separate processes: the race is between renames on disk, not within one event loop.
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
    mkdirSync(path.join(locks(), 'api.lock'));
    writeFileSync(path.join(locks(), 'api.lock', 'holder.json'), JSON.stringify({ ...holder(dead), token: 'dead0002' }));
    expect(await race()).toEqual(['got', ...Array(7).fill('lock-held')]);
  }, 30_000);

  it('writes the holder before the lock exists: the lock folder always names who holds it', async () => {
    const lock = await store.lock('api', holder(process.pid), 0);
    expect(JSON.parse(readFileSync(path.join(locks(), 'api.lock', 'holder.json'), 'utf8'))).toMatchObject(holder(process.pid));
    await lock.release();
    expect(readdirSync(locks())).toEqual([]);
  });

  it('does not let a lock with no holder (left by an older keyrot, or a kill mid-write) block for more than 2 s', async () => {
    // The old layout: an empty lock folder, the holder file never written, and write-file-atomic's temp file beside it.
    mkdirSync(path.join(locks(), 'api.lock'), { recursive: true });
    writeFileSync(path.join(locks(), 'api.lock', 'holder.json'), '{"host":'); // cut short
    const started = Date.now();
    const lock = await store.lock('api', holder(process.pid), 0);
    expect(Date.now() - started).toBeLessThan(2_600);
    await lock.release();
  }, 15_000);

  it("cleans what crashed runs left beside the lock, and nothing a live run is using", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    mkdirSync(locks(), { recursive: true });
    writeFileSync(path.join(locks(), 'api.holder.json.1234567'), '{"host":"x"'); // an older keyrot's temp file
    utimesSync(path.join(locks(), 'api.holder.json.1234567'), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    mkdirSync(path.join(locks(), `api.lock.tmp-${dead}-0a1b2c3d`));
    mkdirSync(path.join(locks(), `api.lock.old-${dead}-0a1b2c3e`));
    mkdirSync(path.join(locks(), `api.lock.tmp-${process.pid}-0a1b2c3f`)); // alive and fresh: kept
    mkdirSync(path.join(locks(), `other.lock.tmp-${dead}-0a1b2c40`)); // another plan's: its own run cleans it
    const lock = await store.lock('api', holder(process.pid), 0);
    await lock.release();
    expect(readdirSync(locks()).sort()).toEqual([`api.lock.tmp-${process.pid}-0a1b2c3f`, `other.lock.tmp-${dead}-0a1b2c40`]);
  });

  // Issue 25, defect 11: a file, a link or a pipe there is not a lock nobody releases: no spinning at it.
  it.each([
    ['a file', (p: string) => writeFileSync(p, 'x'), 'a file'],
    ['a link to a folder', (p: string) => symlinkSync(os.tmpdir(), p), 'a symbolic link'],
  ])('refuses %s where the lock folder belongs (state-folder-invalid, exit 2), at once whatever the wait', async (_, make, what) => {
    mkdirSync(locks(), { recursive: true });
    const at = path.join(locks(), 'api.lock');
    make(at);
    const started = Date.now();
    const err = await store.lock('api', holder(process.pid), 600_000).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((err as KeyrotError).code).toBe('state-folder-invalid');
    expect((err as KeyrotError).exitCode).toBe(2);
    expect((err as KeyrotError).message).toBe(`cannot keep state in ${at}: it is ${what}, where the lock folder of plan api belongs`);
    expect(readdirSync(locks())).toEqual(['api.lock']);
  });

  it('notices when its lock was taken over, and then does not remove the new holder\'s lock', async () => {
    const lock = await store.lock('api', holder(process.pid), 0);
    // Another process judged it stale (this one stalled) and replaced it.
    rmSync(path.join(locks(), 'api.lock'), { recursive: true });
    mkdirSync(path.join(locks(), 'api.lock'));
    writeFileSync(path.join(locks(), 'api.lock', 'holder.json'), JSON.stringify({ ...holder(process.pid, 'keyrot run other'), token: 'other001' }));
    await vi.waitFor(() => expect(lock.lost).toMatch(/^taken over by pid \d+ on .* \(keyrot run other\)/), { timeout: 3_000 });
    await lock.release();
    expect(existsSync(path.join(locks(), 'api.lock', 'holder.json'))).toBe(true);
  });
});
