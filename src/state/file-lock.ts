// A per-plan lock on the local disk: the file `<plan>.lock`, holding who holds it (one line of JSON).
// The holder is written first, to a private temporary file, which is then hard-linked to the lock's
// name: link is atomic and fails (EEXIST) while anything has that name, so a lock always names its
// holder (a kill at any moment leaves either no lock or a complete one). The holder refreshes the
// file's mtime every second; a lock not refreshed for 5 s is stale, and one whose holder is known dead
// (same host, pid gone) or that names no holder is taken over after 2 s. An older keyrot's lock, a
// folder of the same name, is honoured by the same rules (file-lock-folder.ts).
import { randomBytes } from 'node:crypto';
import { link, lstat, readdir, rm, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBounded } from '../bounded-read.js';
import { KeyrotError } from '../errors.js';
import { folderHolderFile, takeOverFolder } from './file-lock-folder.js';
import { ensureDir, stateIoError } from './io.js';
import { createInPlace, NO_HARD_LINKS } from './file-lock-in-place.js';
import { claimTakeover } from './lock-claim.js';
import { describeHolder, type LockHolder, type PlanLock } from './store.js';

const UPDATE_MS = 1_000;
const STALE_MS = 5_000;
const DEAD_HOLDER_STALE_MS = 2_000;
const POLL_MS = 250;
/** Retries at once before the loop pauses like a wait (a lock released or moved aside meanwhile). */
const QUICK_RETRIES = 5;
/** Temporary files of a process that is gone, or this old, are left-overs of a crash. */
const LEFTOVER_MS = 60_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Held extends LockHolder {
  /** Which acquisition this is: tells our lock from one that replaced it. */
  token: string;
}

/** A holder is a line of JSON; anything this size is not one. */
const MAX_HOLDER_BYTES = 64 * 1024;

function readHolder(file: string): Held | undefined {
  try {
    // Synchronous, as records are read (bounded-read.ts): a few hundred bytes, read at every release
    // and heartbeat; through the thread pool that was four round trips (open, fstat, read, close).
    // Its answers for a folder, a pipe or an oversized file ('not-a-file', 'too-large') are no JSON: parse throws.
    const value = JSON.parse(readBounded(file, MAX_HOLDER_BYTES)) as Held;
    // `null` throws here, and any other JSON value has no number `pid`: both name no holder.
    return typeof value.pid === 'number' && typeof value.host === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

const tokenAt = (file: string) => readHolder(file)?.token;
const mtimeOf = (file: string) => stat(file).then((s) => s.mtimeMs, () => undefined);
/** A removal that found nothing (released or taken over meanwhile) is done; any other failure is raised. */
const gone = (e: NodeJS.ErrnoException) => {
  if (e.code !== 'ENOENT') throw e;
};
const holderIsDead = (h: LockHolder) => h.host === os.hostname() && !isAlive(h.pid);

/** `<plan>.lock.tmp-<pid>-<rand>`, `<plan>.lock.old-<pid>-<rand>`, a takeover claim `<plan>.lock.takeover`, an older keyrot's `<plan>.holder.json.<n>`. */
const LEFTOVER = /^.+?(?:\.lock\.(?:tmp|old)-(?<pid>\d+)-[0-9a-f]+|\.lock\.takeover|\.holder\.json(?:\.\d+)?)$/;

/** Remove what crashed runs left in the locks folder: never anything a live process is using. */
async function cleanLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const m = LEFTOVER.exec(name);
      if (!m) return;
      const pid = m.groups!.pid ? Number(m.groups!.pid) : undefined;
      const mtime = await mtimeOf(path.join(dir, name));
      const old = mtime !== undefined && Date.now() - mtime > LEFTOVER_MS;
      if (old || (pid !== undefined && pid !== process.pid && !isAlive(pid))) await rm(path.join(dir, name), { recursive: true, force: true });
    }),
  );
}

const pause = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/**
 * Something other than a file or a folder where the plan's lock belongs (a link, a pipe) is not a lock:
 * no holder could ever release it, nor can keyrot remove it. The state folder is unusable until
 * someone looks: said at once, naming it, instead of retrying forever. True for an older keyrot's lock folder.
 */
async function refuseNotALock(lock: string, plan: string): Promise<boolean> {
  const info = await lstat(lock).catch(() => undefined);
  if (info && !info.isDirectory() && !info.isFile()) {
    const what = info.isSymbolicLink() ? 'a symbolic link' : 'neither a file nor a folder';
    throw new KeyrotError('state-folder-invalid', { path: lock, plan, reason: `it is ${what}, where the lock of plan ${plan} belongs` });
  }
  return info?.isDirectory() === true;
}

const suffix = (kind: 'tmp' | 'old') => `.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Take the lock if it is free: the holder is complete before the lock exists. */
async function tryCreate(lock: string, holder: Held): Promise<boolean> {
  const tmp = `${lock}${suffix('tmp')}`;
  try {
    // Not fsync'd: a lock only matters while its holder lives. After a power cut every holder is dead,
    // and a lock whose holder was lost or cut short names no holder: it is taken over after 2 s.
    await writeFile(tmp, JSON.stringify(holder), { mode: 0o600, flag: 'wx' });
    await link(tmp, lock);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (NO_HARD_LINKS.has(code)) return await createInPlace(lock, JSON.stringify(holder)); // awaited here: the finally below must not leave its rejection unhandled
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined); // the lock has its own name now; nothing is left beside it
  }
}


/** The file and age a lock was judged stale by: a lock made or refreshed since differs in one of them. */
type Seen = Pick<Stats, 'ino' | 'mtimeMs'>;

/**
 * Remove a stale lock file if it is still the one judged stale, under the one-winner claim: the same
 * file, not refreshed since, naming the same holder. The claim sits beside the lock, not in it, so a
 * lock made meanwhile by a run that took this one over is told apart by its file and time, even while
 * it names no holder yet (a lock made in place, for a moment). A lock that cannot be removed (no
 * permission) is raised, never retried forever.
 */
async function takeOverFile(lock: string, judged: string | undefined, seen: Seen): Promise<void> {
  const claim = `${lock}.takeover`;
  if (!(await claimTakeover(claim))) return;
  try {
    const now = await stat(lock).catch(() => undefined);
    // unlink never removes a folder: an older keyrot's lock made meanwhile is left be too.
    if (now?.ino === seen.ino && now.mtimeMs === seen.mtimeMs && tokenAt(lock) === judged) await unlink(lock).catch(gone);
  } finally {
    await rmdir(claim).catch(() => undefined);
  }
}

/** Locks folders this process has made sure of (and cleaned): a fleet run locks hundreds of plans in one. */
const readyDirs = new Set<string>();

/** tryCreate, in a locks folder made sure of once per process (and again if it has gone since). */
async function tryCreateIn(dir: string, lock: string, holder: Held): Promise<boolean> {
  if (!readyDirs.has(dir)) {
    await ensureDir(dir);
    await cleanLeftovers(dir); // once per process, not per plan: a readdir of the whole folder each time cost more than the lock
    readyDirs.add(dir);
  }
  return tryCreate(lock, holder).catch(async (e: unknown) => {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    readyDirs.delete(dir); // removed meanwhile: made again, and tried once more
    await ensureDir(dir);
    readyDirs.add(dir);
    return tryCreate(lock, holder);
  });
}

export async function lockPlan(dir: string, plan: string, holder: LockHolder, waitMs: number, signal?: AbortSignal): Promise<PlanLock> {
  const lock = path.join(dir, `${plan}.lock`);
  const mine: Held = { ...holder, token: randomBytes(8).toString('hex') };
  const giveUpAt = Date.now() + waitMs;

  // Retries without a pause (a lock released or taken over in between) are few; past a handful, something
  // keeps answering the same (a lock that cannot be moved): wait as for a held lock, never spin.
  let quick = 0;
  const again = async () => {
    if (++quick > QUICK_RETRIES) await pause();
  };
  for (;;) {
    if (await tryCreateIn(dir, lock, mine).catch(async (e: unknown) => { throw await stateIoError(e, lock, { plan }); })) break;
    const folder = await refuseNotALock(lock, plan);
    const current = readHolder(folder ? folderHolderFile(lock) : lock);
    // A link() retried after a lost reply (NFS) answers EEXIST for the lock it made: ours.
    if (current?.token === mine.token) break;
    const seen = await stat(lock).catch(() => undefined); // after the holder: a lock replaced in between looks fresh, never stale
    const mtime = seen?.mtimeMs;
    if (mtime === undefined) {
      await again(); // released in between: try again at once
      continue;
    }
    // A dead holder's lock (or one with no holder) is taken over after 2 s; a live one's once not refreshed for 5 s.
    const staleAfter = !current || holderIsDead(current) ? DEAD_HOLDER_STALE_MS : STALE_MS;
    if (Date.now() - mtime > staleAfter) {
      await (folder ? takeOverFolder(lock, current?.token, tokenAt, `${lock}${suffix('old')}`) : takeOverFile(lock, current?.token, seen!)).catch(async (e: unknown) => {
        throw await stateIoError(e, lock, { plan });
      });
      if (signal?.aborted) throw new KeyrotError('interrupted'); // Ctrl-C while a stale lock resists: nothing was taken
      await again();
      continue;
    }
    const deadline = staleAfter === DEAD_HOLDER_STALE_MS ? Math.max(giveUpAt, mtime + staleAfter + POLL_MS) : giveUpAt;
    if (Date.now() >= deadline) throw new KeyrotError('lock-held', { plan, holder: describeHolder(current) });
    if (signal?.aborted) throw new KeyrotError('interrupted'); // Ctrl-C during --wait-lock: nothing was taken
    await pause();
    quick = 0;
  }

  // Stryker disable next-line ObjectLiteral: equivalent, `lost` is undefined in `{}` too
  const state: { lost: string | undefined } = { lost: undefined };
  let refreshedAt = Date.now();
  let beating = Promise.resolve();
  // Refresh the lock while we hold it; if it was taken over (we stalled past the stale time), say so.
  const heartbeat = setInterval(() => {
    beating = (async () => {
      if (state.lost) return;
      const now = readHolder(lock) ?? readHolder(folderHolderFile(lock)); // taken over by an older keyrot: a folder
      if (now?.token !== mine.token) {
        state.lost = now ? `taken over by ${describeHolder(now)}` : 'the lock was removed';
        return;
      }
      const at = new Date();
      if (await utimes(lock, at, at).then(() => true, () => false)) refreshedAt = at.getTime();
    })();
  }, UPDATE_MS);
  heartbeat.unref();

  return {
    // Read before each side effect. A process stalled past the stale time (suspended, its event loop
    // blocked) may have been taken over before its heartbeat could look: not refreshed is lost.
    get lost() {
      if (state.lost) return state.lost;
      const since = Date.now() - refreshedAt;
      return since > STALE_MS ? `not refreshed for ${Math.round(since / 1000)} s (this process stalled), so another run may have taken it over` : undefined;
    },
    async release() {
      clearInterval(heartbeat);
      await beating;
      if (state.lost || tokenAt(lock) !== mine.token) return; // not ours any more
      await unlink(lock).catch(() => undefined); // one file: gone at once, holder and all
    },
  };
}
