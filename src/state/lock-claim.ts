// The one-winner claim on a stale plan lock: contenders that judged the same lock stale each try to
// make the claim folder (atomic: one succeeds); only the winner moves the lock, after checking it is
// still the one judged, so a fresh lock taken meanwhile is never moved by a contender that judged the old.
import { mkdir, rm, stat } from 'node:fs/promises';

/** A claim whose taker died before finishing (it takes a few syscalls) is cleared after this. */
export const CLAIM_STALE_MS = 2_000;

/** True when this process now holds the claim at `claim`; false when another does (or did and died). */
export async function claimTakeover(claim: string): Promise<boolean> {
  try {
    await mkdir(claim);
    return true;
  } catch (e) {
    const since = await stat(claim).then((s) => s.mtimeMs, () => undefined);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && since !== undefined && Date.now() - since > CLAIM_STALE_MS) await rm(claim, { recursive: true, force: true });
    return false;
  }
}
