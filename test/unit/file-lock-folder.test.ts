// An older keyrot's plan lock, the folder `<plan>.lock` holding holder.json, met by this keyrot on a
// shared state folder during an upgrade (invariant 7 across versions): held by its holder under the
// same time rules, and taken over the older keyrot's way once stale. The other direction (an older
// keyrot meeting a lock file) is that keyrot's own code: it refuses (state-folder-invalid), touching nothing.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { KeyrotError } from '../../src/errors.js';
import { age, deadPid, holder, lockFixture } from '../helpers/file-lock-fixture.js';

const at = lockFixture();
const lock = () => at.lock();
/** A lock folder as an older keyrot leaves it, last refreshed `ageMs` ago. */
function oldLock(content: string | undefined, ageMs: number): void {
  mkdirSync(lock(), { recursive: true });
  if (content !== undefined) writeFileSync(path.join(lock(), 'holder.json'), content);
  age(lock(), ageMs);
}
async function timedLock(waitMs = 0) {
  const started = Date.now();
  const taken = await at.store.lock('api', holder(process.pid, 'the next run'), waitMs);
  return { lock: taken, ms: Date.now() - started };
}
/** The lock is now this keyrot's: a file naming the next run. */
const takenAsFile = () => {
  expect(statSync(lock()).isFile()).toBe(true);
  expect(JSON.parse(readFileSync(lock(), 'utf8'))).toMatchObject({ command: 'the next run' });
};

describe('an older keyrot\'s lock folder', () => {
  it('held by a live holder: refused at once naming it, waited for with a wait, and never touched', async () => {
    oldLock(JSON.stringify({ ...holder(process.pid, 'keyrot run --due plans/'), token: 'old00001' }), 4_000);
    const err = await at.store.lock('api', holder(process.pid), 0).catch((e: unknown) => e as KeyrotError);
    expect(err).toMatchObject({ code: 'lock-held', message: `plan api is locked by pid ${process.pid} on ${os.hostname()} (keyrot run --due plans/) since 2026-11-27T10:00:00.000Z` });
    expect(readdirSync(lock())).toEqual(['holder.json']);

    age(lock(), 0);
    setTimeout(() => rmSync(lock(), { recursive: true }), 400); // the older keyrot releases it
    const { lock: taken, ms } = await timedLock(5_000);
    expect(ms).toBeGreaterThanOrEqual(350);
    takenAsFile();
    await taken.release();
    expect(readdirSync(path.dirname(lock()))).toEqual([]);
  });

  it('stale (a dead holder\'s at 2 s, a live one\'s at 5 s): taken over, leaving only the new lock file', async () => {
    oldLock(JSON.stringify({ ...holder(deadPid()), token: 'old00002' }), 2_100);
    const first = await timedLock();
    expect(first.ms).toBeLessThan(240);
    takenAsFile();
    expect(readdirSync(path.dirname(lock()))).toEqual(['api.lock']); // the folder moved aside and removed
    await first.lock.release();

    oldLock(JSON.stringify({ ...holder(process.pid), token: 'old00003' }), 4_500);
    expect(await at.store.lock('api', holder(process.pid), 0).then(() => 'taken', (e: unknown) => (e as KeyrotError).code)).toBe('lock-held');
    age(lock(), 5_100);
    const second = await timedLock();
    expect(second.ms).toBeLessThan(240);
    takenAsFile();
    await second.lock.release();
  });

  it('naming no holder (empty, or holder.json cut short): taken over once 2 s old', async () => {
    oldLock(undefined, 2_100);
    await (await timedLock()).lock.release();
    oldLock('{"host":', 2_100);
    const { lock: taken, ms } = await timedLock();
    expect(ms).toBeLessThan(240);
    takenAsFile();
    await taken.release();
  });

  it('a takeover claim in it left by a dead contender is cleared at 2 s, which restarts the dead holder\'s 2 s', async () => {
    oldLock(JSON.stringify({ ...holder(deadPid()), token: 'old00004' }), 0);
    mkdirSync(path.join(lock(), 'takeover'));
    age(path.join(lock(), 'takeover'), 2_100);
    age(lock(), 3_000);
    const { lock: taken, ms } = await timedLock();
    expect(ms).toBeGreaterThanOrEqual(1_800);
    expect(ms).toBeLessThan(3_000);
    takenAsFile();
    await taken.release();
  });

  it('a fresh takeover claim in it (an older keyrot taking it over now) is left alone until it is 2 s old', async () => {
    oldLock(JSON.stringify({ ...holder(deadPid()), token: 'old00005' }), 0);
    const claim = path.join(lock(), 'takeover');
    mkdirSync(claim);
    age(claim, 1_000);
    age(lock(), 3_000);
    const taking = timedLock();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(claim)).toBe(true);
    const { lock: taken, ms } = await taking;
    expect(ms).toBeGreaterThanOrEqual(2_900); // cleared at 2 s (touching the folder), then the dead holder's 2 s again
    takenAsFile();
    await taken.release();
  });

  it('a lock file taken over by an older keyrot (now its folder): the holder says by whom, and its release leaves the folder', async () => {
    const { lock: taken } = await timedLock();
    rmSync(lock());
    oldLock(JSON.stringify({ ...holder(process.pid, 'keyrot run older'), token: 'old00006' }), 0);
    await vi.waitFor(() => expect(taken.lost).toMatch(/^taken over by pid \d+ on .* \(keyrot run older\)/), { timeout: 3_000 });
    await taken.release();
    expect(JSON.parse(readFileSync(path.join(lock(), 'holder.json'), 'utf8'))).toMatchObject({ token: 'old00006' });
  });
});
