// The plan lock in Vault: `lock/<plan>` holds {lock: JSON} a lease (holder, token, expiry), "" when
// free. Taken and renewed with cas, so a renewal fails once another took the lock over; a holder that
// stops renewing (it died, or stalled) loses it after one lease, timed on this host's clock.
import { randomBytes } from 'node:crypto';
import { KeyrotError } from '../errors.js';
import { formatDuration } from '../shared/duration.js';
import type { Kv2 } from '../vault/kv2.js';
import { describeHolder, type LockHolder, type PlanLock } from './store.js';

const POLL_MS = 500;
/** Errors after which a write may still have taken effect. */
const UNANSWERED: ReadonlySet<string> = new Set(['provider-timeout', 'provider-failed']);

interface Lease extends LockHolder {
  token: string;
  /** The holder's clock + the lease, at its last renewal. */
  expiresAt: string;
  leaseMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parseLease(data: Record<string, unknown> | undefined): Lease | undefined {
  const text = data?.lock;
  // Stryker disable next-line LogicalOperator: equivalent, JSON.parse rejects what `&&` would let through (no string, or '')
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    const value = JSON.parse(text) as Lease;
    return typeof value.token === 'string' && typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take the lease `mine` once it is free or expired, waiting up to `waitMs`: the KV version it is written
 * at, and whether it was taken over from a holder whose lease expired (who may still be running).
 */
async function acquire(kv: Kv2, plan: string, mine: Lease, waitMs: number, signal?: AbortSignal): Promise<{ version: number; tookOver: boolean }> {
  const { leaseMs } = mine;
  const giveUpAt = Date.now() + waitMs;
  // The lease another holds, as first seen unchanged: expired once it has not been renewed for a
  // whole lease on this host's clock (no trust in the other host's clock), or once its written
  // expiry is a further lease in the past (a clock skew of up to one lease is tolerated).
  let seen: { version: number; at: number } | undefined;
  let unanswered = 0;
  // Whether the write whose answer was lost was a takeover: if it landed, the lock was taken over.
  let triedTakeover = false;
  for (;;) {
    const found = await kv.read();
    const current = found && !found.deleted ? parseLease(found.data) : undefined;
    const foundVersion = found?.version ?? 0;
    // Our own lease (the token is this call's): a write of ours took effect though its answer was lost.
    if (current?.token === mine.token) return { version: foundVersion, tookOver: triedTakeover };
    if (seen?.version !== foundVersion) seen = { version: foundVersion, at: Date.now() };
    const expired =
      current !== undefined &&
      (Date.now() - seen.at >= (current.leaseMs || leaseMs) || Date.now() > Date.parse(current.expiresAt) + (current.leaseMs || leaseMs));
    if (!current || expired) {
      const lease = { ...mine, expiresAt: new Date(Date.now() + leaseMs).toISOString() };
      let written: number | 'cas-mismatch';
      try {
        written = await kv.write({ lock: JSON.stringify(lease) }, foundVersion, []);
      } catch (e) {
        // No answer (a timeout, a dropped connection): the write may have taken effect. Look again,
        // where our token tells; twice at most.
        if (!(e instanceof KeyrotError) || !UNANSWERED.has(e.code) || ++unanswered > 2) throw e;
        triedTakeover = expired;
        continue;
      }
      if (written !== 'cas-mismatch') return { version: written, tookOver: expired };
      continue; // another took it (or renewed it) in between: look again
    }
    if (Date.now() >= giveUpAt) {
      throw new KeyrotError('lock-held', { plan, holder: `${describeHolder(current)}, lease until ${current.expiresAt}` });
    }
    if (signal?.aborted) throw new KeyrotError('interrupted'); // Ctrl-C during --wait-lock: nothing was taken
    await sleep(Math.min(POLL_MS, Math.max(50, giveUpAt - Date.now())));
  }
}

/**
 * What the holder does at release: `onRelease` while still holding it; `onReleased` once its release
 * took effect, given the KV version it wrote and whether the lock had been taken over from an expired holder.
 */
interface Releasing {
  onRelease: () => Promise<void>;
  onReleased?: (version: number, taken: { tookOver: boolean }) => Promise<void>;
}

/** Hold the lease written at `version`: renewed three times a lease until released. */
function holdLease(kv: Kv2, mine: Lease, version: number, tookOver: boolean, { onRelease, onReleased }: Releasing): PlanLock {
  const { leaseMs } = mine;
  // Stryker disable next-line ObjectLiteral: equivalent, `lost` is undefined in `{}` too
  const state: { lost: string | undefined } = { lost: undefined };
  let expiresAt = Date.now() + leaseMs;
  let beating = Promise.resolve();
  // A renewal refused by cas means another took the lock over (we stalled past the lease): say so,
  // and the runner stops before its next step.
  const renew = async () => {
    if (state.lost) return;
    try {
      const next = Date.now() + leaseMs;
      const written = await kv.write({ lock: JSON.stringify({ ...mine, expiresAt: new Date(next).toISOString() }) }, version, []);
      if (written === 'cas-mismatch') {
        const now = parseLease((await kv.read().catch(() => undefined))?.data);
        state.lost = now ? `taken over by ${describeHolder(now)}` : 'the lock was released by another process';
        return;
      }
      version = written;
      expiresAt = next;
    } catch (e) {
      if (Date.now() >= expiresAt) state.lost = `the lease expired: it could not be renewed for ${formatDuration(leaseMs)} (${(e as Error).message})`;
    }
  };
  const heartbeat = setInterval(() => void (beating = renew()), Math.max(100, Math.floor(leaseMs / 3)));
  heartbeat.unref();

  return {
    get lost() {
      if (!state.lost && Date.now() >= expiresAt) state.lost = `the lease expired (not renewed within ${formatDuration(leaseMs)})`;
      return state.lost;
    },
    release: async () => {
      // Still ours while it runs (the heartbeat goes on): what the holder writes last goes in before it is free.
      await onRelease().catch(() => undefined);
      clearInterval(heartbeat);
      await beating;
      if (state.lost) return;
      const freed = await kv.write({ lock: '' }, version, []).catch(() => undefined); // cas: never frees a lock another took over
      // Only a release of ours that took effect: its version is then the lock's, until the next holder takes it.
      if (typeof freed === 'number') await onReleased?.(freed, { tookOver }).catch(() => undefined);
    },
  };
}

/**
 * Lock `plan` for `holder`; `onRelease` runs first when the lock is given back, while it is still held;
 * `onReleased` once the release took effect, with the lock's KV version it wrote (not when it was refused),
 * and whether the lock was taken over from an expired holder.
 */
export async function leaseLock(kv: Kv2, plan: string, holder: LockHolder, opts: { waitMs: number; leaseMs: number; signal?: AbortSignal } & Releasing): Promise<PlanLock> {
  const mine: Lease = { ...holder, token: randomBytes(8).toString('hex'), expiresAt: '', leaseMs: opts.leaseMs };
  const { version, tookOver } = await acquire(kv, plan, mine, opts.waitMs, opts.signal);
  return holdLease(kv, mine, version, tookOver, opts);
}
