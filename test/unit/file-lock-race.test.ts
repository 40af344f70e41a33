// The file plan lock's one-winner takeover when another run moves first: a contender that judged a
// lock stale and then wins the claim finds a fresh lock in its place, and leaves it be. The moment
// between judging and claiming is staged by making the claim's mkdir swap the lock first.
import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeyrotError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

const swap = vi.hoisted(() => ({ at: undefined as string | undefined, holderFile: '', lockPath: '', content: '', replace: false, ino: 0, act: undefined as (() => void) | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const mkdir = (async (p: Parameters<typeof fs.mkdir>[0], o?: Parameters<typeof fs.mkdir>[1]) => {
    if (swap.at && String(p) === swap.at) {
      swap.at = undefined; // once: a fresh lock taken just before this claim
      if (swap.act) return (swap.act(), fs.mkdir(p, o)); // something else happens to the lock just then
      if (swap.replace) rmSync(swap.holderFile); // another run took the stale lock over and made its own
      writeFileSync(swap.holderFile, swap.content);
      utimesSync(swap.lockPath, new Date(), new Date()); // made just now
      swap.ino = statSync(swap.lockPath).ino;
    }
    return fs.mkdir(p, o);
  }) as typeof fs.mkdir;
  return { ...fs, default: { ...fs, mkdir }, mkdir };
});

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => {
  swap.replace = false;
  swap.act = undefined;
  ws.cleanup();
});

const holder = (pid: number, command = 'keyrot run api.yaml') => ({ host: os.hostname(), pid, command, since: '2026-11-27T10:00:00.000Z' });
const aged = (ms: number) => new Date(Date.now() - ms);

describe('the file plan lock taken over while another run takes it', () => {
  it.each([
    ['a lock file', (lock: string) => lock, (lock: string) => `${lock}.takeover`],
    ['an older keyrot\'s lock folder', (lock: string) => path.join(lock, 'holder.json'), (lock: string) => path.join(lock, 'takeover')],
  ])('in %s: the claim\'s winner finds a fresh holder and leaves its lock be', async (_, holderFile, claimOf) => {
    const lock = path.join(ws.dir, '.keyrot', 'locks', 'api.lock');
    mkdirSync(holderFile(lock) === lock ? path.dirname(lock) : lock, { recursive: true });
    writeFileSync(holderFile(lock), JSON.stringify({ ...holder(spawnSync(process.execPath, ['-e', '0']).pid!), token: 'dead0007' }));
    utimesSync(lock, aged(3_000), aged(3_000)); // a dead holder's, 3 s old: stale
    Object.assign(swap, { at: claimOf(lock), holderFile: holderFile(lock), lockPath: lock, content: JSON.stringify({ ...holder(process.pid, 'keyrot run fresh'), token: 'fresh001' }) });
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const err = await store.lock('api', holder(process.pid), 0).then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('keyrot run fresh') });
    expect(JSON.parse(readFileSync(holderFile(lock), 'utf8'))).toMatchObject({ token: 'fresh001' });
  });

  it('a lock another run has just made in place (no hard links), not naming its holder yet, is left be by the claim\'s winner', async () => {
    const lock = path.join(ws.dir, '.keyrot', 'locks', 'api.lock');
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, ''); // a run killed between creating its lock and writing its holder: no holder
    utimesSync(lock, aged(3_000), aged(3_000)); // 3 s old: stale
    Object.assign(swap, { at: `${lock}.takeover`, holderFile: lock, lockPath: lock, content: '', replace: true });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 400);
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const err = await store.lock('api', holder(process.pid), 0, stop.signal).then(() => undefined, (e: unknown) => e as KeyrotError);
    // Waited on as a fresh lock (taken over only once 2 s old), until stopped: never removed under its maker.
    expect(err).toMatchObject({ code: 'interrupted' });
    expect(statSync(lock).ino).toBe(swap.ino);
    expect(readFileSync(lock, 'utf8')).toBe('');
  });

  /** A lock file naming `token` of a live holder (this process), last refreshed `ageMs` ago. */
  function leftLock(token: string, ageMs: number, pid = process.pid): string {
    const lock = path.join(ws.dir, '.keyrot', 'locks', 'api.lock');
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, JSON.stringify({ ...holder(pid, 'keyrot run slow'), token }));
    utimesSync(lock, aged(ageMs), aged(ageMs));
    return lock;
  }

  it('a stale lock its live holder refreshes just before the claim (the same file, a new time) is left be', async () => {
    const lock = leftLock('slow0001', 6_000); // not refreshed for 6 s: stale
    Object.assign(swap, { at: `${lock}.takeover`, act: () => utimesSync(lock, new Date(), new Date()) });
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const err = await store.lock('api', holder(process.pid), 0).then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('keyrot run slow') });
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ token: 'slow0001' });
  });

  it('a stale lock released just before the claim: the lock is taken, not an error', async () => {
    const lock = leftLock('dead0008', 3_000, spawnSync(process.execPath, ['-e', '0']).pid!);
    Object.assign(swap, { at: `${lock}.takeover`, act: () => rmSync(lock) });
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const taken = await store.lock('api', holder(process.pid, 'keyrot run next'), 0);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ command: 'keyrot run next' });
    await taken.release();
  });
});
