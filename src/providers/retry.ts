// Bounded retry with exponential backoff and jitter (p-retry), for provider calls whose SDK does not
// retry what it should. A provider says which failures are worth another attempt and, when the
// service named a wait (Retry-After), how long to wait at least; the caller learns how many attempts
// were made over how long, so its error can say so.
import pRetry from 'p-retry';
import { count } from '../shared/plural.js';

export interface Backoff {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The first wait; each next one doubles, randomised by x1-2 (jitter), up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export interface RetryRules {
  backoff: Backoff;
  retryable(error: unknown): boolean;
  /** The wait the service asked for (Retry-After), in ms: waited at least, before the backoff. */
  askedWaitMs?(error: unknown): number | undefined;
  /** Each retry, before its wait: progress worth showing. */
  onRetry?(error: unknown, nextAttempt: number): void;
  /** Stops the retries (Ctrl-C): the call fails with the abort. */
  signal?: AbortSignal;
}

/** The last failure of a retried call, with how hard keyrot tried. */
export class GaveUp extends Error {
  constructor(
    readonly error: unknown,
    readonly attempts: number,
    readonly elapsedMs: number,
    /** The longest wait the service asked for, if it asked. */
    readonly askedWaitMs?: number,
    /** Each attempt's failure, in order (the last is `error`): what happened, attempt by attempt. */
    readonly failures: unknown[] = [error],
  ) {
    super(`gave up after ${count(attempts, 'attempt')}`);
    this.name = 'GaveUp';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `call` until it succeeds, fails with a non-retryable error, or the attempts run out; then throws GaveUp. */
export async function retrying<T>(call: () => Promise<T>, rules: RetryRules): Promise<T> {
  const started = performance.now();
  let attempts = 0;
  let asked: number | undefined;
  const failures: unknown[] = [];
  try {
    return await pRetry(
      () => {
        attempts += 1;
        return call();
      },
      {
        ...(rules.signal ? { signal: rules.signal } : {}),
        retries: rules.backoff.attempts - 1,
        minTimeout: rules.backoff.firstDelayMs,
        maxTimeout: rules.backoff.maxDelayMs,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) => rules.retryable(error),
        onFailedAttempt: async ({ error, retriesLeft }) => {
          failures.push(error);
          if (retriesLeft <= 0 || !rules.retryable(error)) return;
          rules.onRetry?.(error, attempts + 1);
          const wait = rules.askedWaitMs?.(error);
          if (wait !== undefined) {
            asked = Math.max(asked ?? 0, wait);
            await sleep(wait);
          }
        },
      },
    );
  } catch (e) {
    // An abort (Ctrl-C) ends the retries without an attempt failing: it is the last failure then.
    if (failures.at(-1) !== e) failures.push(e);
    throw new GaveUp(e, attempts, performance.now() - started, asked, failures);
  }
}
