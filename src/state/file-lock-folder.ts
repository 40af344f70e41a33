// The plan lock as keyrot wrote it until issue 27: the FOLDER `<plan>.lock` holding `holder.json`.
// An older keyrot may still run on the same state folder during an upgrade, so such a lock is held by
// its holder under the same time rules, and a stale one is taken over the way the older keyrot takes
// it (claim inside the folder, move it aside, remove it). The older keyrot, meeting a lock FILE, refuses
// (state-folder-invalid) and touches nothing: the two never hold one plan at once.
// Keep this while a keyrot older than the lock file may share a state folder (at least one release
// with lock files, and until a crashed older run's folder can no longer be expected): without it such a
// folder is refused as not a lock (exit 2), which is safe but needs someone to remove it.
import { rename, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { claimTakeover } from './lock-claim.js';

const HOLDER = 'holder.json';

/** Where an old lock folder names its holder. */
export const folderHolderFile = (lock: string) => path.join(lock, HOLDER);

/** Remove a lock folder moved aside: its holder, then the folder; anything else in it, recursively. */
async function removeAside(aside: string): Promise<void> {
  try {
    await unlink(path.join(aside, HOLDER));
    await rmdir(aside);
  } catch {
    await rm(aside, { recursive: true, force: true });
  }
}

/** Move a stale lock folder aside if it still names the holder judged stale (`holderToken`), as the older keyrot does. */
export async function takeOverFolder(lock: string, judged: string | undefined, holderToken: (file: string) => string | undefined, aside: string): Promise<void> {
  const claim = path.join(lock, 'takeover');
  if (!(await claimTakeover(claim))) return;
  if (holderToken(folderHolderFile(lock)) !== judged) {
    await rm(claim, { recursive: true, force: true }); // a fresh lock replaced the stale one: leave it be
    return;
  }
  // A folder that cannot be moved (no permission) is raised, never retried forever; one gone meanwhile is done.
  const moved = await rename(lock, aside).then(
    () => true,
    async (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      await rm(claim, { recursive: true, force: true });
      throw e;
    },
  );
  if (moved) await removeAside(aside);
}
