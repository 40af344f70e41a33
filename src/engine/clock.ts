import { setTimeout as sleep } from 'node:timers/promises';

/** Time as the engine sees it. Tests use a fake one: no test sleeps through a real window. */
export interface Clock {
  now(): Date;
  /** Resolve at `until` (or at once if it has passed); reject with AbortError when `signal` aborts. */
  sleepUntil(until: Date, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  async sleepUntil(until, signal) {
    // Sleep in slices so a suspended laptop or a clock change does not oversleep a deadline.
    for (let left = until.getTime() - Date.now(); left > 0; left = until.getTime() - Date.now()) {
      await sleep(Math.min(left, 1_000), undefined, { signal });
    }
    signal.throwIfAborted();
  },
};
