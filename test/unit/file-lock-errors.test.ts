// The file plan lock when the disk answers with something other than "the lock exists": a full disk
// or an I/O error while taking it is reported at once (state-io, naming the lock), never
// waited on as if another run held the lock; where link() is refused (no hard links), the lock is made in place. Only link (and that in-place write) (which puts the lock in place) is made to fail, in-process (as root, a
// permission error cannot be staged on a real folder).
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeyrotError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

const failLink = vi.hoisted(() => ({ code: undefined as string | undefined, attempts: 0, openInPlace: undefined as string | undefined, writeInPlace: undefined as string | undefined, closed: 0, unlinkLock: undefined as string | undefined, lostReply: false, renameLock: undefined as string | undefined, overtaken: '' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const link: typeof fs.link = async (from, to) => {
    if (String(to).endsWith('.lock')) failLink.attempts++;
    if (failLink.code && String(to).endsWith('.lock')) throw Object.assign(new Error(`link ${failLink.code}`), { code: failLink.code });
    await fs.link(from, to);
    // NFS: the reply to a link that was made got lost, and the retry answers EEXIST.
    if (failLink.lostReply) throw Object.assign(new Error('link EEXIST'), { code: 'EEXIST' });
  };
  // An older keyrot's stale lock folder this user may not move aside (renameLock: that error).
  const rename: typeof fs.rename = async (from, to) => {
    if (failLink.renameLock && String(from).endsWith('.lock')) throw Object.assign(new Error(`rename ${failLink.renameLock}`), { code: failLink.renameLock });
    return fs.rename(from, to);
  };
  // A stale lock this user may not remove (unlinkLock: that error).
  const unlink: typeof fs.unlink = async (file) => {
    if (failLink.unlinkLock && String(file).endsWith('.lock')) throw Object.assign(new Error(`unlink ${failLink.unlinkLock}`), { code: failLink.unlinkLock });
    return fs.unlink(file);
  };
  // The lock created in place (no hard links) whose holder cannot be written (writeInPlace: that error).
  // The lock created in place: opening it fails (openInPlace), and the handles closed are counted.
  const open = (async (file: string, ...rest: unknown[]) => {
    const inPlace = String(file).endsWith('.lock');
    if (inPlace && failLink.openInPlace) throw Object.assign(new Error(`open ${failLink.openInPlace}`), { code: failLink.openInPlace });
    const handle = await (fs.open as (...a: unknown[]) => Promise<import('node:fs/promises').FileHandle>)(file, ...rest);
    if (!inPlace) return handle;
    const close = handle.close.bind(handle);
    Object.assign(handle, { close: async () => (failLink.closed++, close()) });
    if (failLink.overtaken) {
      // Another run removed this lock as it was being written (it must not) and made its own.
      const write = handle.writeFile.bind(handle);
      const other = failLink.overtaken;
      return Object.assign(handle, { writeFile: async (data: string) => {
        await write(data);
        await fs.writeFile(`${file}.other`, other);
        await fs.rename(`${file}.other`, file);
      } });
    }
    if (!failLink.writeInPlace) return handle;
    const code = failLink.writeInPlace;
    return Object.assign(handle, { writeFile: async () => { throw Object.assign(new Error(`write ${code}`), { code }); } });
  }) as typeof fs.open;
  return { ...fs, default: { ...fs, link, open, unlink, rename }, link, open, unlink, rename };
});

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => {
  failLink.code = undefined;
  failLink.attempts = 0;
  failLink.writeInPlace = undefined;
  failLink.openInPlace = undefined;
  failLink.closed = 0;
  failLink.unlinkLock = undefined;
  failLink.lostReply = false;
  failLink.renameLock = undefined;
  failLink.overtaken = '';
  ws.cleanup();
});

describe('the file plan lock on a failing disk', () => {
  it.each(['ENOSPC', 'EIO'])('%s while taking the lock is reported at once as a state I/O error, whatever the wait', async (code) => {
    failLink.code = code;
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const started = Date.now();
    const err = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'keyrot run api.yaml', since: '2026-11-27T10:00:00.000Z' }, 3_000)
      .then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(Date.now() - started).toBeLessThan(2_500); // not waited out as a held lock
    expect(err).toMatchObject({ code: 'state-io', message: expect.stringContaining(path.join('.keyrot', 'locks', 'api.lock')) });

    expect(readdirSync(path.join(ws.dir, '.keyrot', 'locks'))).toEqual([]); // no temporary holder file left beside it
    failLink.code = undefined; // nothing left behind: the next run takes the lock at once
    const lock = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'the next run', since: '2026-11-27T10:00:00.000Z' }, 0);
    await lock.release();
  });

  it.each(['EPERM', 'ENOTSUP'])('a file system without hard links (link answers %s): the lock is created in place, names its holder, and is held against the next run', async (code) => {
    failLink.code = code;
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const holder = { host: os.hostname(), pid: process.pid, command: 'keyrot run first.yaml', since: '2026-11-27T10:00:00.000Z' };
    const first = await store.lock('api', holder, 0);
    const lockFile = path.join(ws.dir, '.keyrot', 'locks', 'api.lock');
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject(holder);
    expect(readdirSync(path.dirname(lockFile))).toEqual(['api.lock']); // no temporary holder file left beside it
    const err = await store.lock('api', { ...holder, command: 'the next run' }, 0).then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('keyrot run first.yaml') });
    await first.release();
    expect(readdirSync(path.dirname(lockFile))).toEqual([]);
    expect(failLink.closed).toBe(1); // the one lock made: its descriptor closed (a fleet run makes hundreds)
  });

  it('without hard links, an I/O error creating the lock is state-io at once, not a lock held', async () => {
    failLink.code = 'ENOTSUP';
    failLink.openInPlace = 'EIO';
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const err = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'keyrot run api.yaml', since: '2026-11-27T10:00:00.000Z' }, 3_000)
      .then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'state-io', message: expect.stringContaining(path.join('.keyrot', 'locks', 'api.lock')) });
  });

  it('without hard links, a full disk while writing the holder: state-io, and no empty lock left for the next run to wait on', async () => {
    failLink.code = 'EPERM';
    failLink.writeInPlace = 'ENOSPC';
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const holder = { host: os.hostname(), pid: process.pid, command: 'keyrot run api.yaml', since: '2026-11-27T10:00:00.000Z' };
    const err = await store.lock('api', holder, 0).then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'state-io' });
    expect(readdirSync(path.join(ws.dir, '.keyrot', 'locks'))).toEqual([]);
    failLink.writeInPlace = undefined;
    await (await store.lock('api', holder, 0)).release(); // taken at once
  });

  it('a stale lock this user may not remove is state-io at once, naming it, never retried forever', async () => {
    const lock = path.join(ws.dir, '.keyrot', 'locks', 'api.lock');
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: 999_999_999, command: 'x', since: 'x', token: 'dead0006' }));
    utimesSync(lock, new Date(Date.now() - 3_000), new Date(Date.now() - 3_000)); // a dead holder's, stale
    failLink.unlinkLock = 'EACCES';
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const err = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'keyrot run api.yaml', since: '2026-11-27T10:00:00.000Z' }, 0)
      .then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'state-io', message: expect.stringContaining('permission denied') });
    expect(readdirSync(path.dirname(lock))).toEqual(['api.lock']); // its takeover claim removed
  });

  it('a link made whose reply was lost (NFS answers EEXIST to the retry): the lock is ours, taken at once', async () => {
    failLink.lostReply = true;
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    // Without waiting (0): a lock held by another run would be refused as lock-held.
    const lock = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'keyrot run api.yaml', since: '2026-11-27T10:00:00.000Z' }, 0);
    failLink.lostReply = false;
    await lock.release();
    expect(readdirSync(path.join(ws.dir, '.keyrot', 'locks'))).toEqual([]);
  });

  it('without hard links, a lock removed and made by another run while its holder was written is not ours: held by that run', async () => {
    failLink.code = 'EPERM';
    failLink.overtaken = JSON.stringify({ host: os.hostname(), pid: process.pid, command: 'keyrot run other.yaml', since: 'x', token: 'other001' });
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const err = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'keyrot run api.yaml', since: '2026-11-27T10:00:00.000Z' }, 0)
      .then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('keyrot run other.yaml') });
  });

  it("an older keyrot's stale lock folder this user may not move aside is state-io at once, its takeover claim removed", async () => {
    const lockDir = path.join(ws.dir, '.keyrot', 'locks', 'api.lock');
    mkdirSync(lockDir, { recursive: true });
    writeFileSync(path.join(lockDir, 'holder.json'), JSON.stringify({ host: os.hostname(), pid: 999_999_999, command: 'x', since: 'x', token: 'dead0010' }));
    utimesSync(lockDir, new Date(Date.now() - 3_000), new Date(Date.now() - 3_000)); // a dead holder's, stale
    failLink.renameLock = 'EACCES';
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const err = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'keyrot run api.yaml', since: '2026-11-27T10:00:00.000Z' }, 0)
      .then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'state-io', message: expect.stringContaining('permission denied') });
    expect(readdirSync(lockDir)).toEqual(['holder.json']);
  });

  it('a lock that exists (link answers EEXIST): the lock is held, naming its holder', async () => {
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const first = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'keyrot run first.yaml', since: '2026-11-27T10:00:00.000Z' }, 0);
    failLink.code = 'EEXIST';
    const err = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'the next run', since: '2026-11-27T10:00:00.000Z' }, 0)
      .then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('keyrot run first.yaml') });
    failLink.code = undefined;
    await first.release();
  });

  it('while another run is taking a stale lock over, the next one waits rather than spinning', async () => {
    const lockDir = path.join(ws.dir, '.keyrot', 'locks', 'api.lock');
    mkdirSync(path.join(lockDir, 'takeover'), { recursive: true });
    writeFileSync(path.join(lockDir, 'holder.json'), JSON.stringify({ host: os.hostname(), pid: 999_999_999, command: 'x', since: 'x', token: 'dead0005' }));
    const aged = (ms: number) => new Date(Date.now() - ms);
    utimesSync(path.join(lockDir, 'takeover'), aged(1_200), aged(1_200)); // cleared once 2 s old: in 0.8 s
    utimesSync(lockDir, aged(3_000), aged(3_000));
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const lock = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'the next run', since: '2026-11-27T10:00:00.000Z' }, 0);
    expect(failLink.attempts).toBeLessThan(30); // five at once, then one per 250 ms pause
    await lock.release();
  });
});
