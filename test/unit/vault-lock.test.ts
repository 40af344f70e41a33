// The Vault state store's plan lock (invariant 7) on an in-memory KV v2 secret with Vault's
// check-and-set rule, on a fake clock: taken, renewed, refused to a second holder, taken over from a
// holder that stopped renewing, and lost (and said so) when another took it over. The same lock on
// OpenBao runs in test/contracts/vault-state.contract.test.ts.
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { leaseLock } from '../../src/state/vault-lock.js';
import type { Kv2, SecretVersion } from '../../src/vault/kv2.js';

/** One KV v2 secret: versions count up from 1; a write names the version it expects (0: none yet). */
class MemorySecret {
  version = 0;
  data: Record<string, string> | undefined;
  writes = 0;
  reads = 0;
  /** Writes sent, landed or not. */
  attempts = 0;
  /** Reads fail (Vault unreachable) while set. */
  readsFail = false;
  /** Runs just before the next write lands: another process writing in between. */
  beforeWrite: (() => void) | undefined;
  /** The next writes fail this way (after taking effect, when `landed`). */
  failures: { error: Error; landed: boolean }[] = [];

  kv(): Kv2 {
    const unused = () => Promise.reject(new Error('not used by the lock'));
    return {
      aclPath: () => 'secret/data/keyrot/lock/api',
      read: async (): Promise<SecretVersion | undefined> => {
        this.reads++;
        if (this.readsFail) throw new Error('connection refused');
        return this.version === 0 ? undefined : { version: this.version, data: { ...this.data }, deleted: false, destroyed: false, customMetadata: {} };
      },
      write: async (data, cas) => {
        this.attempts++;
        const between = this.beforeWrite;
        this.beforeWrite = undefined;
        between?.();
        const failure = this.failures.shift();
        if (failure && !failure.landed) throw failure.error;
        if (cas !== this.version) {
          if (failure) throw failure.error;
          return 'cas-mismatch';
        }
        this.writes++;
        this.version++;
        this.data = { ...data };
        if (failure) throw failure.error;
        return this.version;
      },
      setCustomMetadata: unused,
      changeVersions: unused,
      checkMount: unused,
    };
  }

  /** The lease written now, as another process would read it. */
  lease(): Record<string, unknown> | undefined {
    return this.data?.lock ? JSON.parse(this.data.lock) : undefined;
  }

  /** Another host writes its own lease over whatever is there (it took the lock over). */
  writtenByOther(lease: Record<string, unknown>): void {
    this.version++;
    this.data = { lock: JSON.stringify(lease) };
  }
}

const LEASE = 3_000;
const holder = (pid: number, command = 'keyrot run api.yaml') => ({ host: os.hostname(), pid, command, since: '2026-11-27T10:00:00.000Z' });
const other = (expiresInMs: number, leaseMs = LEASE) =>
  ({ ...holder(4242, 'keyrot run --due plans/'), host: 'ci-runner-7', token: 'other0001', expiresAt: new Date(Date.now() + expiresInMs).toISOString(), leaseMs });
const timeout = () => new KeyrotError('provider-timeout', { provider: 'vault state', operation: 'write', timeout: '10s' });

let secret: MemorySecret;
const lock = (pid: number, waitMs = 0, leaseMs = LEASE) => leaseLock(secret.kv(), 'api', holder(pid), { waitMs, leaseMs, onRelease: async () => undefined });
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as KeyrotError);

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') });
  secret = new MemorySecret();
});
afterEach(() => vi.useRealTimers());

describe('the Vault plan lock', () => {
  it('takes a free lock, writing the holder and a lease that ends one lease from now', async () => {
    const held = await lock(101);
    expect(secret.lease()).toMatchObject({ ...holder(101), leaseMs: LEASE, expiresAt: new Date(Date.now() + LEASE).toISOString() });
    expect(held.lost).toBeUndefined();
    await held.release();
  });

  it('refuses a second holder at once, naming the first (host, pid, command, since) and its lease', async () => {
    const first = await lock(101);
    const err = await refusal(lock(202));
    expect(err).toMatchObject({ code: 'lock-held', exitCode: 3 });
    expect(err!.message).toBe(`plan api is locked by pid 101 on ${os.hostname()} (keyrot run api.yaml) since 2026-11-27T10:00:00.000Z, lease until ${new Date(Date.now() + LEASE).toISOString()}`);
    await first.release();
  });

  it('renews the lease three times a lease while held: a holder that keeps running never loses it', async () => {
    const held = await lock(101);
    const taken = secret.writes;
    await vi.advanceTimersByTimeAsync(3 * LEASE);
    expect(secret.writes - taken).toBe(9);
    expect(held.lost).toBeUndefined();
    expect(secret.lease()).toMatchObject({ pid: 101, expiresAt: new Date(Date.now() + LEASE).toISOString() });
    expect(await refusal(lock(202))).toMatchObject({ code: 'lock-held' });
    await held.release();
  });

  it('frees the lock on release, with check-and-set: the next one gets it at once', async () => {
    const first = await lock(101);
    await first.release();
    expect(secret.data).toEqual({ lock: '' });
    const second = await lock(202);
    expect(secret.lease()).toMatchObject({ pid: 202 });
    await second.release();
  });

  it('with a wait, gets the lock once the holder releases it, and gives up at the wait', async () => {
    const first = await lock(101);
    const waiting = lock(202, 5_000);
    await vi.advanceTimersByTimeAsync(1_200);
    await first.release();
    await vi.advanceTimersByTimeAsync(600);
    const second = await waiting;
    expect(secret.lease()).toMatchObject({ pid: 202 });

    const third = refusal(lock(303, 2_000));
    await vi.advanceTimersByTimeAsync(1_900);
    expect(secret.lease()).toMatchObject({ pid: 202 });
    await vi.advanceTimersByTimeAsync(700);
    expect(await third).toMatchObject({ code: 'lock-held' });
    await second.release();
  });

  it('stops waiting at Ctrl-C (the signal), taking nothing: interrupted, not held', async () => {
    const first = await lock(101);
    const stop = new AbortController();
    const waiting = refusal(leaseLock(secret.kv(), 'api', holder(202), { waitMs: 60_000, leaseMs: LEASE, signal: stop.signal, onRelease: async () => undefined }));
    await vi.advanceTimersByTimeAsync(1_200);
    stop.abort();
    await vi.advanceTimersByTimeAsync(600); // one poll, where a wait of a minute would go on
    expect(await Promise.race([waiting, Promise.resolve('still waiting')])).toMatchObject({ code: 'interrupted' });
    expect(secret.lease()).toMatchObject({ pid: 101 });
    await first.release();
  });

  it('takes over a lease nobody renewed for a whole lease on this host\'s clock, not before', async () => {
    secret.writtenByOther(other(LEASE)); // a holder that died right after taking the lock
    const next = lock(202, 10_000);
    let got = false;
    void next.then(() => (got = true));
    await vi.advanceTimersByTimeAsync(LEASE - 600);
    expect(got).toBe(false);
    await vi.advanceTimersByTimeAsync(1_200);
    expect(got).toBe(true);
    expect(secret.lease()).toMatchObject({ pid: 202 });
    await (await next).release();
  });

  it('waits out the other holder\'s own lease when it is longer than ours', async () => {
    secret.writtenByOther(other(3 * LEASE, 3 * LEASE));
    const next = lock(202, 20_000);
    let got = false;
    void next.then(() => (got = true));
    await vi.advanceTimersByTimeAsync(2 * LEASE);
    expect(got).toBe(false);
    await vi.advanceTimersByTimeAsync(LEASE + 600);
    expect(got).toBe(true);
    await (await next).release();
  });

  it('takes over at once a lease whose written expiry is more than a lease in the past', async () => {
    secret.writtenByOther(other(-LEASE - 1_000)); // left by a holder long gone
    const held = await lock(202);
    expect(secret.lease()).toMatchObject({ pid: 202 });
    await held.release();
  });

  it('does not take over a live holder whose written expiry is in the past by less than a lease (its clock may be behind)', async () => {
    secret.writtenByOther(other(-LEASE / 2));
    expect(await refusal(lock(202))).toMatchObject({ code: 'lock-held', exitCode: 3 });
    expect(secret.lease()).toMatchObject({ pid: 4242 });
  });

  it('treats a lock it cannot read as free (an older keyrot, or a hand edit), and an empty one too', async () => {
    secret.writtenByOther({ pid: 'not a number', token: 'x' });
    await (await lock(202)).release();
    secret.writtenByOther({ ...other(LEASE), token: undefined });
    await (await lock(203)).release();
    secret.data = { other: 'field' };
    await (await lock(204)).release();
    secret.data = { lock: '{cut short' };
    await (await lock(303)).release();
    expect(secret.data).toEqual({ lock: '' });
  });

  it('knows when another took the lock over (it stalled past its lease), and then leaves the new holder\'s lock alone', async () => {
    const held = await lock(101);
    secret.writtenByOther(other(LEASE));
    await vi.advanceTimersByTimeAsync(LEASE / 3 + 10);
    expect(held.lost).toBe('taken over by pid 4242 on ci-runner-7 (keyrot run --due plans/) since 2026-11-27T10:00:00.000Z');
    const sent = secret.attempts;
    await vi.advanceTimersByTimeAsync(2 * LEASE); // no more renewals of a lock that is not ours
    await held.release(); // and no release of it
    expect(secret.attempts).toBe(sent);
    expect(secret.lease()).toMatchObject({ pid: 4242, token: 'other0001' });
  });

  it('says the lease expired when it could not be renewed for a whole lease, and only then', async () => {
    const held = await lock(101);
    secret.failures = Array.from({ length: 10 }, () => ({ error: new Error('connection refused'), landed: false }));
    await vi.advanceTimersByTimeAsync(LEASE - 100);
    expect(held.lost).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect(held.lost).toMatch(/^the lease expired: it could not be renewed for 3s \(connection refused\)$|^the lease expired \(not renewed within 3s\)$/);
    await held.release();
  });

  it('a write whose answer was lost but which took effect is recognised by its token: taken once, not twice', async () => {
    secret.failures = [{ error: timeout(), landed: true }];
    const held = await lock(101);
    expect(secret.writes).toBe(1);
    expect(secret.lease()).toMatchObject({ pid: 101 });
    expect(held.lost).toBeUndefined();
    await held.release();
  });

  it('a takeover whose answer was lost but which took effect is still told as a takeover at release (the holder it replaced may be running)', async () => {
    const released: { version: number; tookOver: boolean }[] = [];
    const take = () => leaseLock(secret.kv(), 'api', holder(101), {
      waitMs: 0, leaseMs: LEASE, onRelease: async () => undefined, onReleased: async (version, { tookOver }) => void released.push({ version, tookOver }),
    });
    secret.writtenByOther(other(-LEASE - 1_000)); // left by a holder long gone
    secret.failures = [{ error: timeout(), landed: true }];
    const taken = await take();
    expect(secret.lease()).toMatchObject({ pid: 101 });
    await taken.release();
    expect(released).toEqual([{ version: secret.version, tookOver: true }]);
    // A free lock, its answer lost the same way: no takeover.
    secret.failures = [{ error: timeout(), landed: true }];
    const free = await take();
    await free.release();
    expect(released.at(-1)).toEqual({ version: secret.version, tookOver: false });
  });

  it('looks again after an unanswered write that did not land, twice at most; any other failure is thrown at once', async () => {
    secret.failures = [{ error: timeout(), landed: false }, { error: timeout(), landed: false }];
    await (await lock(101)).release();

    secret.failures = [{ error: timeout(), landed: false }, { error: timeout(), landed: false }, { error: timeout(), landed: false }];
    expect(await refusal(lock(202))).toMatchObject({ code: 'provider-timeout' });

    secret.failures = [{ error: new KeyrotError('provider-auth-failed', { provider: 'vault state', reason: 'permission denied', fix: 'check VAULT_TOKEN' }), landed: false }];
    expect(await refusal(lock(303))).toMatchObject({ code: 'provider-auth-failed' });
    expect(secret.failures).toEqual([]);
  });

  it('a contender that loses the check-and-set race looks again, and is refused naming the winner', async () => {
    secret.beforeWrite = () => secret.writtenByOther(other(LEASE));
    const err = await refusal(lock(202));
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('pid 4242 on ci-runner-7') });
    expect(secret.lease()).toMatchObject({ token: 'other0001' });
  });

  it('a lease that names no length of its own (an older keyrot) is timed with ours', async () => {
    secret.writtenByOther({ ...other(LEASE), leaseMs: undefined });
    const next = lock(202, 10_000);
    await vi.advanceTimersByTimeAsync(LEASE + 600);
    expect(secret.lease()).toMatchObject({ pid: 202 });
    await (await next).release();

    secret.writtenByOther({ ...other(-LEASE - 1_000), leaseMs: undefined }); // and long expired: taken at once
    await (await lock(203)).release();
  });

  it('gives up exactly at the wait asked, polling no more than twice a second', async () => {
    const first = await lock(101);
    const reads = secret.reads;
    const waiting = refusal(lock(202, 1_200));
    await vi.advanceTimersByTimeAsync(1_250);
    expect(await Promise.race([waiting, Promise.resolve('still waiting')])).toMatchObject({ code: 'lock-held' });
    expect(secret.reads - reads).toBeLessThanOrEqual(5);
    await first.release();
  });

  it('a holder whose process stalled past its lease knows it lost the lock, though no renewal ran', async () => {
    const held = await lock(101);
    vi.setSystemTime(Date.now() + LEASE + 1); // the clock moved on, the timers did not run
    expect(held.lost).toBe('the lease expired (not renewed within 3s)');
    await held.release();
  });

  it('taken over while Vault could not be read back: the holder still knows it lost the lock', async () => {
    const held = await lock(101);
    secret.writtenByOther(other(LEASE));
    secret.readsFail = true;
    await vi.advanceTimersByTimeAsync(LEASE / 3 + 10);
    expect(held.lost).toBe('the lock was released by another process');
    secret.readsFail = false;
    await held.release();
    expect(secret.lease()).toMatchObject({ token: 'other0001' });
  });

  it('tells what it wrote last once its release took effect (the version freeing it), and nothing when the release was refused', async () => {
    const released: { version: number; tookOver: boolean }[] = [];
    const order: string[] = [];
    const take = () => leaseLock(secret.kv(), 'api', holder(101), {
      waitMs: 0, leaseMs: LEASE, onRelease: async () => void order.push(`before, lock at ${secret.version}`), onReleased: async (version, { tookOver }) => void released.push({ version, tookOver }),
    });
    const held = await take();
    await vi.advanceTimersByTimeAsync(LEASE / 3 + 10); // renewed once
    await held.release();
    expect(secret.data).toEqual({ lock: '' });
    expect(released).toEqual([{ version: secret.version, tookOver: false }]);
    expect(order).toEqual([`before, lock at ${secret.version - 1}`]);

    // Taken over by another: the release is refused by cas, so nothing is said about a version another wrote.
    const lost = await take();
    secret.writtenByOther(other(LEASE));
    await lost.release();
    expect(released).toHaveLength(1);
    expect(secret.lease()).toMatchObject({ token: 'other0001' });

    // Taken over from that holder once its lease expired: said so at release (it may still be running).
    await vi.advanceTimersByTimeAsync(3 * LEASE);
    const after = await take();
    await after.release();
    expect(released.at(-1)).toEqual({ version: secret.version, tookOver: true });
  });
});
