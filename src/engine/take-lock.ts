// A plan's lock, as a run takes it. With --wait-lock, a lock another run holds is said at once (who
// holds it, how long keyrot waits) and then waited for: at a terminal the wait is not a blank screen.
import { isKeyrotError } from '../errors.js';
import { formatDuration } from '../shared/duration.js';
import type { LockHolder, PlanLock, StateStore } from '../state/store.js';
import type { Emit } from './events.js';

export async function takeLock(store: StateStore, plan: string, holder: LockHolder, waitMs: number, emit: Emit, signal?: AbortSignal): Promise<PlanLock> {
  if (waitMs <= 0) return store.lock(plan, holder, 0);
  const started = Date.now();
  try {
    return await store.lock(plan, holder, 0);
  } catch (e) {
    if (!isKeyrotError(e, 'lock-held')) throw e;
    emit({ type: 'note', plan, message: `${e.message}; waiting up to ${formatDuration(waitMs)} for it (--wait-lock)` });
    try {
      return await store.lock(plan, holder, Math.max(0, waitMs - (Date.now() - started)), signal);
    } catch (stopped) {
      // Ctrl-C ends the wait at once: said as what it was, for nothing had started.
      if (isKeyrotError(stopped, 'interrupted')) emit({ type: 'note', plan, message: `stopped waiting for the lock of plan ${plan}: nothing was done` });
      throw stopped;
    }
  }
}
