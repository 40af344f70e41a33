// A per-plan lock on the local disk: the folder `<plan>.lock`, holding `holder.json` (who holds it).
// The holder is written first, into a private temporary folder, which is then renamed to the lock:
// rename is atomic and fails while the lock exists, so a lock always names its holder (a kill at
// any moment leaves either no lock or a complete one). The holder refreshes the folder's mtime
// every second; a lock not refreshed for 5 s is stale, and one whose holder is known dead (same
// host, pid gone) or that names no holder (left by an older keyrot) is taken over after 2 s.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readBounded } from '../bounded-read.js';
import { KeyrotError } from '../errors.js';
import { ensureDir, stateIoError } from './io.js';
import { describeHolder, type LockHolder, type PlanLock } from './store.js';

const UPDATE_MS = 1_000;
const STALE_MS = 5_000;
const DEAD_HOLDER_STALE_MS = 2_000;
const POLL_MS = 250;
/** Retries at once before the loop pauses like a wait (a lock released or moved aside meanwhile). */
const QUICK_RETRIES = 5;
/** Temporary folders of a process that is gone, or this old, are left-overs of a crash. */
const LEFTOVER_MS = 60_000;

const HOLDER = 'holder.json';
/** Created inside a stale lock by the one process taking it over. */
const TAKEOVER = 'takeover';

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

async function readHolder(lockDir: string): Promise<Held | undefined> {
  try {
    // Synchronous, as records are read (bounded-read.ts): a few hundred bytes, read at every release
    // and heartbeat; through the thread pool that was four round trips (open, fstat, read, close).
    // Its answers for a pipe or an oversized file ('not-a-file', 'too-large') are no JSON: parse throws.
    const value = JSON.parse(readBounded(path.join(lockDir, HOLDER), MAX_HOLDER_BYTES)) as Held;
    // `null` throws here, and any other JSON value has no number `pid`: both name no holder.
    return typeof value.pid === 'number' && typeof value.host === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

const mtimeOf = (file: string) => stat(file).then((s) => s.mtimeMs, () => undefined);
const holderIsDead = (h: LockHolder) => h.host === os.hostname() && !isAlive(h.pid);

/** `<plan>.lock.tmp-<pid>-<rand>`, `<plan>.lock.old-<pid>-<rand>` and an older keyrot's `<plan>.holder.json.<n>`. */
const LEFTOVER = /^(?<plan>.+?)(?:\.lock\.(?:tmp|old)-(?<pid>\d+)-[0-9a-f]+|\.holder\.json(?:\.\d+)?)$/;

/** Remove what crashed runs left beside the plan's lock: never anything a live process is using. */
async function cleanLeftovers(dir: string, plan: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const m = LEFTOVER.exec(name);
      if (!m || m.groups!.plan !== plan) return;
      const pid = m.groups!.pid ? Number(m.groups!.pid) : undefined;
      const mtime = await mtimeOf(path.join(dir, name));
      const old = mtime !== undefined && Date.now() - mtime > LEFTOVER_MS;
      if (old || (pid !== undefined && pid !== process.pid && !isAlive(pid))) await rm(path.join(dir, name), { recursive: true, force: true });
    }),
  );
}

const pause = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/** Remove a lock folder moved aside: its holder, then the folder (two calls, where a recursive rm makes
 *  ten: every plan of a fleet run releases one); anything else in it (a takeover claim), recursively. */
async function removeAside(aside: string): Promise<void> {
  try {
    await unlink(path.join(aside, HOLDER));
    await rmdir(aside);
  } catch {
    await rm(aside, { recursive: true, force: true });
  }
}

/**
 * Something other than a folder where the plan's lock folder belongs (a file, a link, a pipe) is not
 * a lock: no holder could ever release it, nor can keyrot move it aside. The state folder is unusable
 * until someone looks: said at once, naming it, instead of retrying forever.
 */
async function refuseNotALock(lockDir: string, plan: string): Promise<void> {
  const info = await lstat(lockDir).catch(() => undefined);
  if (info && !info.isDirectory()) {
    const what = info.isSymbolicLink() ? 'a symbolic link' : info.isFile() ? 'a file' : 'not a folder';
    throw new KeyrotError('state-folder-invalid', { path: lockDir, plan, reason: `it is ${what}, where the lock folder of plan ${plan} belongs` });
  }
}

const suffix = (kind: 'tmp' | 'old') => `.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Take the lock if it is free: the holder is complete before the lock exists. */
async function tryCreate(lockDir: string, holder: Held): Promise<boolean> {
  const tmp = `${lockDir}${suffix('tmp')}`;
  await mkdir(tmp, { mode: 0o700 });
  try {
    // Not fsync'd: a lock only matters while its holder lives. After a power cut every holder is dead,
    // and a lock whose holder.json was lost or cut short names no holder: it is taken over after 2 s.
    await writeFile(path.join(tmp, HOLDER), JSON.stringify(holder), { mode: 0o600 });
    await rename(tmp, lockDir); // renamed into place: nothing is left beside the lock
    return true;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') return false;
    throw e;
  }
}

/**
 * Move a stale lock aside, if it is still the one judged stale (same holder token). Contenders first
 * claim the takeover by creating a folder inside the lock (atomic: one of them wins); only the winner
 * moves the lock, so a fresh lock taken meanwhile is never moved by a contender that judged the old one.
 */
async function takeOver(lockDir: string, judged: string | undefined): Promise<void> {
  const claim = path.join(lockDir, TAKEOVER);
  try {
    await mkdir(claim);
  } catch (e) {
    // A claim whose taker died before finishing (it takes a few syscalls) is cleared for the next try.
    const since = await mtimeOf(claim);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && since !== undefined && Date.now() - since > DEAD_HOLDER_STALE_MS) await rm(claim, { recursive: true, force: true });
    return;
  }
  if ((await readHolder(lockDir))?.token !== judged) {
    await rm(claim, { recursive: true, force: true }); // a fresh lock replaced the stale one: leave it be
    return;
  }
  const aside = `${lockDir}${suffix('old')}`;
  if (await rename(lockDir, aside).then(() => true, () => false)) await removeAside(aside);
}

/** Lock folders this process has made sure of: a fleet run locks hundreds of plans in one of them. */
const readyDirs = new Set<string>();

/** tryCreate, in a lock folder made sure of once per process (and again if it has gone since). */
async function tryCreateIn(dir: string, lockDir: string, holder: Held): Promise<boolean> {
  if (!readyDirs.has(dir)) {
    await ensureDir(dir);
    readyDirs.add(dir);
  }
  return tryCreate(lockDir, holder).catch(async (e: unknown) => {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    readyDirs.delete(dir); // removed meanwhile: made again, and tried once more
    await ensureDir(dir);
    readyDirs.add(dir);
    return tryCreate(lockDir, holder);
  });
}

export async function lockPlan(dir: string, plan: string, holder: LockHolder, waitMs: number, signal?: AbortSignal): Promise<PlanLock> {
  const lockDir = path.join(dir, `${plan}.lock`);
  const mine: Held = { ...holder, token: randomBytes(8).toString('hex') };
  const giveUpAt = Date.now() + waitMs;
  await cleanLeftovers(dir, plan);

  // Retries without a pause (a lock released or taken over in between) are few; past a handful, something
  // keeps answering the same (a lock that cannot be moved): wait as for a held lock, never spin.
  let quick = 0;
  const again = async () => {
    if (++quick > QUICK_RETRIES) await pause();
  };
  for (;;) {
    if (await tryCreateIn(dir, lockDir, mine).catch(async (e: unknown) => { throw await stateIoError(e, lockDir, { plan }); })) break;
    await refuseNotALock(lockDir, plan);
    const current = await readHolder(lockDir);
    const mtime = await mtimeOf(lockDir);
    if (mtime === undefined) {
      await again(); // released in between: try again at once
      continue;
    }
    // A dead holder's lock (or one with no holder) is taken over after 2 s; a live one's once not refreshed for 5 s.
    const staleAfter = !current || holderIsDead(current) ? DEAD_HOLDER_STALE_MS : STALE_MS;
    if (Date.now() - mtime > staleAfter) {
      await takeOver(lockDir, current?.token);
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
  let beating = Promise.resolve();
  // Refresh the lock while we hold it; if it was taken over (we stalled past the stale time), say so.
  const heartbeat = setInterval(() => {
    beating = (async () => {
      if (state.lost) return;
      const now = await readHolder(lockDir);
      if (now?.token !== mine.token) {
        state.lost = now ? `taken over by ${describeHolder(now)}` : 'the lock was removed';
        return;
      }
      const at = new Date();
      await utimes(lockDir, at, at).catch(() => undefined);
    })();
  }, UPDATE_MS);
  heartbeat.unref();

  return {
    get lost() {
      return state.lost;
    },
    async release() {
      clearInterval(heartbeat);
      await beating;
      if (state.lost || (await readHolder(lockDir))?.token !== mine.token) return; // not ours any more
      // Moved aside first, then removed: nobody sees a lock folder without its holder.
      const aside = `${lockDir}${suffix('old')}`;
      if (await rename(lockDir, aside).then(() => true, () => false)) await removeAside(aside);
    },
  };
}
