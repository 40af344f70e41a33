// The plan lock file where the file system has no hard links (file-lock.ts takes it with link()
// elsewhere): created exclusively, then its holder written into it.
import { open, stat, unlink } from 'node:fs/promises';

/** What link() answers on a file system without hard links (FAT, SMB shares such as Azure Files). */
export const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Take the lock where there are no hard links: created exclusively (O_EXCL, atomic there too), then the
 * holder written into it. For the moment between the two it names no holder, which a contender waits on
 * as on a fresh lock (a lock naming no holder is taken over only once 2 s old).
 */
export async function createInPlace(lock: string, holder: string): Promise<boolean> {
  const file = await open(lock, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EEXIST') return undefined;
    throw e;
  });
  if (!file) return false;
  try {
    await file.writeFile(holder);
    // Still the lock: a contender that took it over while it named no holder removed it (it must not, see
    // takeOverFile, but the holder is only sure of its lock once it names it).
    const [written, now] = await Promise.all([file.stat(), stat(lock).catch(() => undefined)]);
    return now?.ino === written.ino;
  } catch (e) {
    await unlink(lock).catch(() => undefined); // no half-written lock left behind (a full disk)
    throw e;
  } finally {
    await file.close();
  }
}
