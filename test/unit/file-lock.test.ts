// The file store's plan lock (invariant 7), its time rules checked without waiting them out: a lock
// file is aged by setting its mtime, as a holder that stopped refreshing it would leave it. Two
// seconds for a dead holder's lock (or one naming no holder), five for a live one's. The same lock
// raced by real processes, and taken from a SIGKILLed or stalled one, is in lock.test.ts and the
// file state store's contract suite; an older keyrot's lock folder in file-lock-folder.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
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

const lockFile = () => path.join(ws.dir, '.keyrot', 'locks', 'api.lock');
const locks = () => path.dirname(lockFile());
const holder = (pid: number, command = 'keyrot run api.yaml') => ({ host: os.hostname(), pid, command, since: '2026-11-27T10:00:00.000Z' });
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
/** A lock file as another holder left it, last refreshed `ageMs` ago. */
function leftLock(content: string, ageMs: number): void {
  mkdirSync(locks(), { recursive: true });
  writeFileSync(lockFile(), content);
  age(lockFile(), ageMs);
}
const age = (file: string, ms: number) => utimesSync(file, new Date(Date.now() - ms), new Date(Date.now() - ms));
const heldBy = () => JSON.parse(readFileSync(lockFile(), 'utf8'));
/** Take the lock, and say how long it took. */
async function timedLock(waitMs = 0) {
  const started = Date.now();
  const lock = await store.lock('api', holder(process.pid, 'the next run'), waitMs);
  return { lock, ms: Date.now() - started };
}

describe('the file plan lock, by the clock', () => {
  it('takes a dead holder\'s lock once it is 2 s old, not before', async () => {
    leftLock(JSON.stringify({ ...holder(deadPid()), token: 'dead0001' }), 2_100);
    const { lock, ms } = await timedLock();
    expect(ms).toBeLessThan(240); // at once: no poll
    expect(heldBy()).toMatchObject({ command: 'the next run' });
    expect(readdirSync(locks())).toEqual(['api.lock']); // the dead holder's lock removed, the claim too, no temporary file
    expect(statSync(lockFile()).mode & 0o777).toBe(0o600); // holder and command: for this user only
    await lock.release();

    leftLock(JSON.stringify({ ...holder(deadPid()), token: 'dead0002' }), 1_500);
    const later = await timedLock(); // even with no wait asked: a dead holder's lock is waited out
    expect(later.ms).toBeGreaterThanOrEqual(400);
    expect(later.ms).toBeLessThan(1_500);
    await later.lock.release();
  });

  it('takes a lock that names no holder (cut short, or an older keyrot\'s) once it is 2 s old', async () => {
    leftLock('{"host":', 2_100);
    const { lock, ms } = await timedLock();
    expect(ms).toBeLessThan(240);
    await lock.release();
    leftLock('', 2_100);
    await (await timedLock()).lock.release();
  });

  it('a holder record missing its host, or with a pid that is not a number, names no holder: taken once 2 s old', async () => {
    leftLock(JSON.stringify({ pid: process.pid, command: 'keyrot run api.yaml', token: 'nohost01' }), 2_100);
    const first = await timedLock();
    expect(first.ms).toBeLessThan(240);
    expect(heldBy()).toMatchObject({ command: 'the next run' });
    await first.lock.release();

    leftLock(JSON.stringify({ ...holder(process.pid), pid: String(process.pid), token: 'strpid01' }), 2_100);
    const second = await timedLock();
    expect(second.ms).toBeLessThan(240);
    expect(heldBy()).toMatchObject({ command: 'the next run' });
    await second.lock.release();
  });

  it('a holder on another host is never judged dead by its pid here: its lock waits the full 5 s', async () => {
    leftLock(JSON.stringify({ ...holder(deadPid()), host: 'other-host.example', token: 'remote01' }), 2_100);
    const err = await store.lock('api', holder(process.pid), 0).catch((e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('on other-host.example') });
    expect(heldBy()).toMatchObject({ token: 'remote01' });
  });

  it('a holder this process may not signal (another user\'s pid: EPERM) is alive: its lock is not taken at 2 s', async () => {
    const foreign = 999_999;
    const kill = vi.spyOn(process, 'kill').mockImplementation((pid) => {
      if (pid !== foreign) return true;
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    });
    try {
      leftLock(JSON.stringify({ ...holder(foreign), token: 'eperm001' }), 2_100);
      const err = await store.lock('api', holder(process.pid), 0).catch((e: unknown) => e as KeyrotError);
      expect(err).toMatchObject({ code: 'lock-held' });
      expect(heldBy()).toMatchObject({ token: 'eperm001' });
    } finally {
      kill.mockRestore();
    }
  });

  it('refuses a live holder\'s lock at once, naming it, until it has gone 5 s unrefreshed; then takes it', async () => {
    const live = JSON.stringify({ ...holder(process.pid, 'keyrot run --due plans/'), token: 'live0001' });
    leftLock(live, 4_000);
    const err = await store.lock('api', holder(process.pid), 0).catch((e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held', message: `plan api is locked by pid ${process.pid} on ${os.hostname()} (keyrot run --due plans/) since 2026-11-27T10:00:00.000Z` });
    expect(heldBy()).toMatchObject({ token: 'live0001' });

    age(lockFile(), 5_100);
    const { lock, ms } = await timedLock();
    expect(ms).toBeLessThan(240);
    expect(heldBy()).toMatchObject({ command: 'the next run' });
    await lock.release();
  });

  it('a live holder\'s lock is waited for up to the wait asked, and refused after it', async () => {
    leftLock(JSON.stringify({ ...holder(process.pid), token: 'live0002' }), 0);
    const started = Date.now();
    const err = await store.lock('api', holder(process.pid), 600).catch((e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('stops waiting for a live holder\'s lock at Ctrl-C (the signal), taking nothing: interrupted, not held', async () => {
    leftLock(JSON.stringify({ ...holder(process.pid), token: 'live0003' }), 0);
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 300);
    const err = await store.lock('api', holder(process.pid), 60_000, stop.signal).catch((e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'interrupted' });
    expect(Date.now() - started).toBeLessThan(5_000); // at the next poll, not at the minute asked
    expect(heldBy()).toMatchObject({ token: 'live0003' });
  });

  it('clears a takeover claim left by a contender that died mid-takeover (2 s old), then takes the lock', async () => {
    leftLock(JSON.stringify({ ...holder(deadPid()), token: 'dead0003' }), 3_000);
    const claim = `${lockFile()}.takeover`;
    mkdirSync(claim);
    age(claim, 2_100);
    const { lock, ms } = await timedLock();
    expect(ms).toBeLessThan(240); // cleared, and claimed again at the next try
    expect(heldBy()).toMatchObject({ command: 'the next run' });
    expect(existsSync(claim)).toBe(false);
    await lock.release();
  });

  it('a fresh takeover claim (another run is taking the lock over now) is left alone until it is 2 s old', async () => {
    leftLock(JSON.stringify({ ...holder(deadPid()), token: 'dead0004' }), 3_000);
    const claim = `${lockFile()}.takeover`;
    mkdirSync(claim);
    age(claim, 1_000);
    const taking = timedLock();
    // A tenth of a second in, the claim (1.1 s old) is still there: the other run may be mid-takeover.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(claim)).toBe(true);
    const { lock, ms } = await taking;
    // Cleared once 2 s old (1 s from now); a claim cleared at once would have the lock taken at once.
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(2_000);
    expect(heldBy()).toMatchObject({ command: 'the next run' });
    await lock.release();
  });

  it('a release right after the lock was taken over or removed (before the heartbeat noticed) leaves the lock alone', async () => {
    const taken = await timedLock();
    writeFileSync(lockFile(), JSON.stringify({ ...holder(process.pid, 'keyrot run other'), token: 'other002' }));
    await taken.lock.release();
    expect(heldBy()).toMatchObject({ token: 'other002' });

    rmSync(lockFile());
    const removed = await timedLock();
    rmSync(lockFile());
    await removed.lock.release(); // nothing to give back, and no error
    expect(readdirSync(locks())).toEqual([]);
  });

  it('keeps its lock fresh while held (every second), and frees it on release leaving nothing behind', async () => {
    const { lock } = await timedLock();
    age(lockFile(), 3_000);
    await new Promise((r) => setTimeout(r, 1_150));
    expect(Date.now() - statSync(lockFile()).mtimeMs).toBeLessThan(1_000);
    expect(lock.lost).toBeUndefined();
    await lock.release();
    expect(readdirSync(locks())).toEqual([]);
  });

  it('a holder stalled past the stale time (suspended, its event loop blocked) is lost as soon as it looks, before any heartbeat', async () => {
    const { lock } = await timedLock();
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + 4_500);
    expect(lock.lost).toBeUndefined(); // 4.5 s: no other run would take it yet
    clock.mockReturnValue(now + 6_000); // 6 s without a refresh: another run may have taken it over
    expect(lock.lost).toMatch(/^not refreshed for 6 s \(this process stalled\)/);
    clock.mockRestore();
    await lock.release();
  });

  it('a holder whose heartbeat keeps refreshing its lock is not lost past 5 s from taking it', async () => {
    const { lock } = await timedLock();
    const taken = Date.now();
    await new Promise((r) => setTimeout(r, 1_150)); // one heartbeat: refreshed about 1 s after taking it
    const clock = vi.spyOn(Date, 'now').mockReturnValue(taken + 5_500); // 5.5 s after taking it, ~4.5 s after the refresh
    expect(lock.lost).toBeUndefined();
    clock.mockRestore();
    await lock.release();
  });

  it('stops at Ctrl-C while a stale lock is being taken over by another run (its fresh claim), taking nothing', async () => {
    leftLock(JSON.stringify({ ...holder(deadPid()), token: 'dead0009' }), 3_000);
    mkdirSync(`${lockFile()}.takeover`); // another run's claim, made just now: cleared only once 2 s old
    const err = await store.lock('api', holder(process.pid, 'the next run'), 0, AbortSignal.abort()).then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'interrupted' });
    expect(heldBy()).toMatchObject({ token: 'dead0009' });
  });

  it('says the lock was removed when someone deleted it, and then releases nothing', async () => {
    const { lock } = await timedLock();
    rmSync(lockFile());
    await new Promise((r) => setTimeout(r, 1_150));
    expect(lock.lost).toBe('the lock was removed');
    const next = await timedLock();
    await lock.release();
    expect(heldBy()).toMatchObject({ command: 'the next run' });
    await next.lock.release();
  });

  it('writes the holder before the lock exists: the lock file always names who holds it', async () => {
    const lock = await store.lock('api', holder(process.pid), 0);
    expect(heldBy()).toMatchObject(holder(process.pid));
    await lock.release();
    expect(readdirSync(locks())).toEqual([]);
  });

  it("cleans what crashed runs left in the locks folder (any plan's), and nothing a live run is using", async () => {
    const dead = deadPid();
    mkdirSync(locks(), { recursive: true });
    const at = (name: string) => path.join(locks(), name);
    writeFileSync(at('api.holder.json.1234567'), '{"host":"x"'); // an older keyrot's temp file
    age(at('api.holder.json.1234567'), 120_000);
    writeFileSync(at(`api.lock.tmp-${dead}-0a1b2c3d`), '{}');
    mkdirSync(at(`api.lock.old-${dead}-0a1b2c3e`)); // an older keyrot's lock folder moved aside
    mkdirSync(at(`api.lock.tmp-${dead}-0a1b2c41`)); // an older keyrot's temporary lock folder
    writeFileSync(at(`api.lock.tmp-${process.pid}-0a1b2c3f`), '{}'); // alive and fresh: kept
    writeFileSync(at(`other.lock.tmp-${dead}-0a1b2c40`), '{}'); // another plan's, of a dead run: cleaned too
    writeFileSync(at(`other.lock.tmp-${process.pid}-0a1b2c42`), '{}'); // another plan's, alive: kept
    mkdirSync(at('billing.lock.takeover')); // a claim a minute old: its taker died
    age(at('billing.lock.takeover'), 120_000);
    mkdirSync(at('other.lock.takeover')); // a claim being used now: kept
    writeFileSync(at('api.holder.json.7654321'), '{"host":"x"'); // an older keyrot's, being written now: kept
    const lock = await store.lock('api', holder(process.pid), 0);
    await lock.release();
    expect(readdirSync(locks()).sort()).toEqual(['api.holder.json.7654321', `api.lock.tmp-${process.pid}-0a1b2c3f`, `other.lock.takeover`, `other.lock.tmp-${process.pid}-0a1b2c42`]);
  });

  it('notices when its lock was taken over, and then does not remove the new holder\'s lock', async () => {
    const lock = await store.lock('api', holder(process.pid), 0);
    // Another process judged it stale (this one stalled) and replaced it.
    rmSync(lockFile());
    writeFileSync(lockFile(), JSON.stringify({ ...holder(process.pid, 'keyrot run other'), token: 'other001' }));
    await vi.waitFor(() => expect(lock.lost).toMatch(/^taken over by pid \d+ on .* \(keyrot run other\)/), { timeout: 3_000 });
    await lock.release();
    expect(heldBy()).toMatchObject({ token: 'other001' });
  });

  it('makes its locks folder again when it was removed after an earlier lock of this process', async () => {
    const first = await store.lock('api', holder(process.pid), 0);
    await first.release();
    rmSync(locks(), { recursive: true });
    const again = await store.lock('api', holder(process.pid, 'the next run'), 0);
    expect(heldBy()).toMatchObject({ command: 'the next run' });
    await again.release();
    expect(readdirSync(locks())).toEqual([]);
  });

  it('locks plans independently, and a second lock of a held plan is refused even from the same process', async () => {
    const a = await store.lock('api', holder(process.pid), 0);
    const b = await store.lock('billing', holder(process.pid), 0);
    expect(await store.lock('api', holder(process.pid), 0).catch((e: unknown) => (e as KeyrotError).code)).toBe('lock-held');
    await Promise.all([a.release(), b.release()]);
  });

  // Issue 25, defect 11: a link or a pipe there is not a lock nobody releases: no spinning at it.
  it.each([
    ['a link to a folder', (p: string) => symlinkSync(os.tmpdir(), p), 'a symbolic link'],
    ['a link to a file', (p: string) => symlinkSync(path.join(ws.dir, 'somefile'), (writeFileSync(path.join(ws.dir, 'somefile'), '{}'), p)), 'a symbolic link'],
    ['a named pipe', (p: string) => spawnSync('mkfifo', [p]), 'neither a file nor a folder'],
  ])('refuses %s where the lock belongs (state-folder-invalid, exit 2), at once whatever the wait', async (_, make, what) => {
    mkdirSync(locks(), { recursive: true });
    const at = lockFile();
    make(at);
    const started = Date.now();
    const err = await store.lock('api', holder(process.pid), 600_000).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((err as KeyrotError).code).toBe('state-folder-invalid');
    expect((err as KeyrotError).exitCode).toBe(2);
    expect((err as KeyrotError).message).toBe(`cannot keep state in ${at}: it is ${what}, where the lock of plan api belongs`);
    expect(readdirSync(locks())).toEqual(['api.lock']);
  });
});
