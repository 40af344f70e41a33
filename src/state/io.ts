// The state folder on disk: created one level at a time (Node's recursive mkdir spins forever on a
// filesystem that answers ENOENT for everything, such as /proc), and disk errors turned into
// messages a user can act on instead of "internal error".
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../errors.js';
import { syncDir } from '../shared/atomic-file.js';

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

const FAILURES: Record<string, { reason: string; fix: string }> = {
  ENOSPC: { reason: 'disk full', fix: 'Free some space on that disk' },
  EDQUOT: { reason: 'disk quota exceeded', fix: 'Free some space or raise the quota' },
  EACCES: { reason: 'permission denied', fix: 'Give this user access to the state folder, or pass `--state DIR`' },
  EPERM: { reason: 'permission denied', fix: 'Give this user access to the state folder, or pass `--state DIR`' },
  EROFS: { reason: 'read-only file system', fix: 'Pass `--state DIR` on a writable disk' },
  EIO: { reason: 'input/output error', fix: 'Check the disk' },
  EMFILE: { reason: 'too many open files', fix: 'Raise the open-file limit (ulimit -n)' },
};

/** The nearest part of `target` (or an ancestor) that exists and is not a folder. */
async function fileInTheWay(target: string): Promise<string | undefined> {
  for (let p = path.resolve(target); ; p = path.dirname(p)) {
    const info = await stat(p).catch(() => undefined);
    if (info && !info.isDirectory()) return p;
    if (path.dirname(p) === p) return undefined;
  }
}

/** A failed state read, write or folder creation as a KeyrotError a user can act on; anything else unchanged. */
export async function stateIoError(e: unknown, file: string, details: { plan?: string; verb?: 'read' | 'write' } = {}): Promise<unknown> {
  if (e instanceof KeyrotError) return e;
  const c = code(e);
  if (!c) return e; // not an I/O error: a bug, reported as one
  if (c === 'ENOTDIR' || c === 'EEXIST') {
    const inTheWay = await fileInTheWay(file);
    return new KeyrotError('state-folder-invalid', { path: inTheWay ?? file, reason: 'it is a file, not a folder' });
  }
  const known = FAILURES[c];
  return new KeyrotError('state-io', { path: file, ...details, reason: known?.reason ?? c, fix: known?.fix ?? 'Check the disk' });
}

/**
 * Create `dir` (and missing parents) one level at a time; refuse a path where no folder can be. A
 * folder it creates is durable: its parent is fsync'd, or a power cut could forget the new entry and
 * every file written inside it.
 */
export async function ensureDir(dir: string): Promise<void> {
  const target = path.resolve(dir);
  try {
    await mkdir(target, { mode: 0o700 });
    await syncDir(path.dirname(target));
    return;
  } catch (e) {
    if (code(e) === 'EEXIST' && (await stat(target).then((s) => s.isDirectory(), () => false))) return;
    if (code(e) !== 'ENOENT') throw await stateIoError(e, target);
  }
  const parent = path.dirname(target);
  if (parent === target) throw new KeyrotError('state-folder-invalid', { path: target, reason: 'there is no such file system' });
  await ensureDir(parent);
  try {
    await mkdir(target, { mode: 0o700 });
    await syncDir(parent);
  } catch (e) {
    if (code(e) === 'EEXIST') return ensureDir(target); // created by another process meanwhile: check what it is
    // The parent exists yet answers ENOENT (/proc, /sys): no folder can be made there.
    if (code(e) === 'ENOENT') throw new KeyrotError('state-folder-invalid', { path: target, reason: `${parent} does not allow creating folders (a virtual file system?)` });
    throw await stateIoError(e, target);
  }
}
