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

const STALE_MS = 5_000; // a holder that has not refreshed its lock for this long is gone
const UPDATE_MS = 1_000;
const POLL_MS = 500;

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

  for (;;) {
    try {
      const release = await lockfile.lock(target, {
        realpath: false,
        lockfilePath: `${target}.lock`,
        stale: STALE_MS,
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
      // A dead holder's lock turns stale within STALE_MS, and proper-lockfile then takes it over safely.
      const deadline = holderIsDead(current) ? Math.max(giveUpAt, Date.now() + STALE_MS + POLL_MS) : giveUpAt;
      if (Date.now() >= deadline) throw new KeyrotError('lock-held', { plan, holder: describeHolder(current) });
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
