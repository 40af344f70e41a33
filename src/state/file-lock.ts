// A per-plan lock on the local disk. proper-lockfile does the mutual exclusion (an atomic mkdir
// kept fresh by a heartbeat; a lock whose heartbeat stopped is stale and taken over); beside it we
// keep who holds it, so a refusal can name the holder and a dead holder is recognised at once.
import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { KeyrotError } from '../errors.js';
import { describeHolder, type LockHolder, type PlanLock } from './store.js';

// A live holder refreshes its lock every second. One that has not for 5 s is gone; one whose
// process is known dead (same host, pid gone) is replaced after 2 s, proper-lockfile's minimum.
const UPDATE_MS = 1_000;
const STALE_MS = 5_000;
const DEAD_HOLDER_STALE_MS = 2_000;
const POLL_MS = 250;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

const holderIsDead = (h: LockHolder | undefined) => h !== undefined && h.host === os.hostname() && !isAlive(h.pid);

export async function lockPlan(dir: string, plan: string, holder: LockHolder, waitMs: number): Promise<PlanLock> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, `${plan}`);
  const holderFile = path.join(dir, `${plan}.holder.json`);
  const state: { lost: string | undefined } = { lost: undefined };
  const giveUpAt = Date.now() + waitMs;

  let stale = STALE_MS;
  for (;;) {
    try {
      const release = await lockfile.lock(target, {
        realpath: false,
        lockfilePath: `${target}.lock`,
        stale,
        update: UPDATE_MS,
        retries: 0,
        onCompromised: (err) => {
          state.lost = err.message;
        },
      });
      await writeFileAtomic(holderFile, JSON.stringify(holder), { mode: 0o600 });
      return {
        get lost() {
          return state.lost;
        },
        async release() {
          await rm(holderFile, { force: true });
          await release().catch(() => undefined); // already released or compromised: nothing left to free
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      const current = await readHolder(holderFile);
      // A dead holder's lock stops being refreshed; proper-lockfile takes it over once it is stale.
      const dead = holderIsDead(current);
      stale = dead ? DEAD_HOLDER_STALE_MS : STALE_MS;
      const deadline = dead ? Math.max(giveUpAt, Date.now() + DEAD_HOLDER_STALE_MS + POLL_MS) : giveUpAt;
      if (Date.now() >= deadline) throw new KeyrotError('lock-held', { plan, holder: describeHolder(current) });
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
