// Replace a file atomically and durably: write a temporary file beside it, fdatasync it, rename it
// over the file. A reader (or a crash, even a power loss) sees the old content or the new, never a mix:
// the data is on disk before the rename can be.
//
// The folder is fsync'd only when the rename creates a name that did not exist: then the folder entry
// is all there is, and losing it loses the file. Replacing an existing name needs no folder fsync for
// atomicity (a rename lost in a power cut leaves the previous complete file), and a journaling file
// system (ext4, xfs, btrfs) commits the rename with its next journal commit: at the latest with the
// next fsync anyone makes on that disk, which for keyrot is the next save.
//
// Hand-written rather than write-file-atomic: that library resolves the real path (an lstat per path
// component), stats, chowns and chmods on every call (it cannot be told not to realpath), and never
// fsyncs a folder.
//
// Of the calls a write makes, those that wait on the disk or the file system's journal (creating the
// temporary file, writing it, fdatasync, rename) go through the thread pool. The others answer from
// memory in microseconds and are made synchronously: the look before (lstat) when the caller has none,
// the stat of the written file (fstat of a descriptor) and closing it once synced. Each of those
// through the pool was a round trip (two thread wake-ups) on every save, several times per rotation.
import { randomBytes } from 'node:crypto';
import fs, { closeSync, fstatSync, lstatSync, statSync, type Stats } from 'node:fs';
import { open, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const openFd = promisify(fs.open);
const writeFd = promisify(fs.writeFile);
const datasyncFd = promisify(fs.fdatasync);
const chmodFd = promisify(fs.fchmod);
const chownFd = promisify(fs.fchown);

/** A look that answers undefined when nothing is there or it fails (as `lstat(...).catch(() => undefined)` did). */
function quietly(look: () => Stats | undefined): Stats | undefined {
  try {
    return look();
  } catch {
    return undefined;
  }
}

/** lstat of the path itself, or undefined. */
export const lookAt = (file: string) => quietly(() => lstatSync(file, { throwIfNoEntry: false }));

/** stat through a link, or undefined. */
export const lookThrough = (file: string) => quietly(() => statSync(file, { throwIfNoEntry: false }));

/** Which file is at a path: writeAtomic replaces it (a new inode), so another writer's save changes this.
 *  A store that remembers it after its own write can tell, with one stat, that nobody wrote since. */
export type FileSignature = string;
export const fileSignature = (s: Stats): FileSignature => `${s.ino}:${s.size}:${s.mtimeMs}`;

/** fsync a folder, so an entry just created in it survives a power loss (where the OS allows it). */
export async function syncDir(dir: string): Promise<void> {
  // A folder this user may write but not read cannot be opened, and some file systems cannot fsync a
  // folder (EINVAL): nothing more can be done there. Anything else (EIO) is a disk problem and is raised.
  const unsupported = (e: unknown) => {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EACCES', 'ENOTSUP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  };
  const handle = await open(dir, 'r').catch(unsupported);
  if (!handle) return;
  try {
    await handle.sync().catch(unsupported);
  } finally {
    await handle.close();
  }
}

export interface WriteOptions {
  /** The new file's mode, owner-only by default. */
  mode?: number;
  /**
   * What a symlink at `file` means: `follow` (the default) replaces the file it points to and keeps
   * the link, as a file store target's README says; `refuse` writes only a regular file of its own
   * and refuses anything else at the path (a link, a folder, a pipe, a device): for a file a user
   * names on the command line, where a link to someone's 0600 file must not make keyrot replace it.
   */
  links?: 'follow' | 'refuse';
  /** What the caller's own lstat of `file` just found (undefined: nothing there): saves asking again. */
  seen?: { stats: Stats | undefined };
}

/** What writeAtomic({ links: 'refuse' }) throws when something other than a regular file is at the path. */
export class NotARegularFile extends Error {
  constructor(readonly path: string, what: string) {
    super(`${path} is ${what}, not a regular file: keyrot replaces only a regular file there, never through a link`);
    this.name = 'NotARegularFile';
  }
}

// The temporary file's name: this process's id, random bits drawn once, and a count. Unique within the
// process by the count, and against a left-over of an earlier process with the same id by the random
// bits (open 'wx' would refuse it): one draw per process instead of one per write (a rotation makes 14).
const tmpPrefix = randomBytes(4).toString('hex');
let tmpCount = 0;

const kindOf = (s: Stats) =>
  s.isSymbolicLink() ? 'a symbolic link' : s.isDirectory() ? 'a folder' : s.isFIFO() ? 'a named pipe' : s.isSocket() ? 'a socket' : 'a device';

/**
 * Write `data` to `file` atomically and durably; answers the new file's stat. As write-file-atomic
 * did: a symlink is followed unless `links: 'refuse'` (the file it points to is replaced, the link
 * kept), and a file owned by another user keeps its owner (keyrot run as root publishing a service's
 * file); each costs a syscall only when it applies. Refused or not, the rename replaces a name, never
 * writes through one: a link put in place after the check is replaced, not followed.
 */
export async function writeAtomic(file: string, data: string, options: WriteOptions = {}): Promise<Stats> {
  const mode = options.mode ?? 0o600;
  let target = file;
  let before = options.seen ? options.seen.stats : lookAt(file);
  if (before && !before.isFile() && options.links === 'refuse') throw new NotARegularFile(file, kindOf(before));
  if (before?.isSymbolicLink()) {
    target = await realpath(file);
    before = lookAt(target);
  }
  const tmp = `${target}.${process.pid}-${tmpPrefix}${(tmpCount++).toString(36)}.tmp`;
  const fd = await openFd(tmp, 'wx', mode);
  let written: Stats;
  try {
    // The umask narrows the mode open() gives; a wider mode asked for is meant (node_exporter reads a
    // metrics file as another user). Owner-only, the default, needs no call.
    if (mode !== 0o600) await chmodFd(fd, mode);
    if (before && process.getuid && (before.uid !== process.getuid() || before.gid !== process.getgid!())) {
      // Only root may give a file away; anyone else writes it as their own, as before.
      await chownFd(fd, before.uid, before.gid).catch((e: NodeJS.ErrnoException) => {
        if (!['EPERM', 'EINVAL'].includes(e.code ?? '')) throw e;
      });
    }
    await writeFd(fd, data, 'utf8');
    await datasyncFd(fd);
    written = fstatSync(fd);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // closing is all that is left to do with it
    }
    await rm(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (!before) await syncDir(path.dirname(target));
  return written;
}
