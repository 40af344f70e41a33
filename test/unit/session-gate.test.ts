// The session gate: an issuer that reports who is connected now (a database) instead of a date of
// last use. The quiet period is measured by the engine from the last session it saw, kept in state.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/engine/outcome.js';
import { planObject, run, stateDirOf } from '../helpers/engine.js';
import { readState } from '../helpers/inspect.js';
import { fakeRig, type Rig } from '../helpers/rig.js';

const MIN = 60_000;
let { ws, clock, issuer, store } = {} as Rig;
beforeEach(() => {
  ({ ws, clock, issuer, store } = fakeRig());
  issuer.sessions = new Map();
});
afterEach(() => ws.cleanup());

const plan = () => planObject(ws.dir, {
  name: 'db', source: { type: 'generated' }, publish: [{ type: 'file' }], drain: 15 * MIN, soak: 24 * 60 * MIN,
  lastUsed: { quietFor: 10 * MIN, maxWait: 60 * MIN },
});
const go = (wait = false) => run(plan(), clock, { providers: { issuer, stores: [store] }, wait });
const state = () => readState(stateDirOf(plan()), 'db')!;
const status = (id: string) => issuer.keys.find((k) => k.id === id)?.status ?? 'deleted';
const waiting = (r: Awaited<ReturnType<typeof go>>) => r.events.find((e) => e.type === 'waiting') as { until: string; reason: string } | undefined;

/** First key issued and served, then a rotation run through the overlap window. Returns the old key id. */
async function throughDrain(): Promise<string> {
  expect((await go()).outcome.status).toBe('done');
  const old = store.current!.keyId;
  expect((await go()).outcome.status).toBe('waiting'); // drain
  clock.advance(15 * MIN);
  return old;
}

describe('session gate before deactivate', () => {
  it('waits while the old key has sessions, and counts quietFor from the last time it saw one', async () => {
    const old = await throughDrain();
    issuer.sessions!.set(old, 3);

    const connected = await go();
    expect(connected.outcome.status).toBe('waiting');
    expect(waiting(connected)!.reason).toBe('old key must have no session for 10m: by 3 sessions connected now (from 10.0.0.7)');
    expect(new Date(waiting(connected)!.until).getTime() - clock.now().getTime()).toBe(MIN); // asks again in a minute
    const seenAt = clock.now().toISOString();
    expect(state().quietSince).toBe(seenAt);

    clock.advance(MIN);
    issuer.sessions!.set(old, 0); // the consumer's pool moved to the new login
    const quiet = await go();
    expect(quiet.outcome.status).toBe('waiting');
    expect(waiting(quiet)!.reason).toBe(`old key must have no session for 10m: none since ${seenAt}`);
    expect(state().quietSince).toBe(seenAt); // measured from the last session seen, not from now
    expect(status(old)).toBe('active');

    clock.advance(9 * MIN);
    const done = await go();
    expect(done.outcome.status).toBe('waiting'); // soaking
    expect(state().phase).toBe('soak');
    expect(status(old)).toBe('inactive');
    expect(done.events).toContainEqual(expect.objectContaining({ type: 'note', message: `no session seen since ${seenAt} (10m)` }));
  });

  it('a session that comes back restarts the count', async () => {
    const old = await throughDrain();
    await go(); // first look: nobody connected; quiet from now
    clock.advance(8 * MIN);
    issuer.sessions!.set(old, 1);
    await go();
    const seen = clock.now().toISOString();
    issuer.sessions!.set(old, 0);
    clock.advance(3 * MIN);
    expect((await go()).outcome.status).toBe('waiting');
    expect(state()).toMatchObject({ phase: 'last-used', quietSince: seen });
    expect(status(old)).toBe('active');
  });

  it('holds (exit 3) at maxWait when the sessions never go, naming them; the old key stays active', async () => {
    const old = await throughDrain();
    issuer.sessions!.set(old, 2);
    await go();
    clock.advance(61 * MIN);
    const { outcome, events } = await go();
    expect(outcome).toEqual({ status: 'held', code: 'old-key-in-use' });
    expect(exitCodeOf(outcome)).toBe(3);
    expect(events.find((e) => e.type === 'held')).toMatchObject({ message: `old key ${old} was still used by 2 sessions connected now (from 10.0.0.7) after waiting 1h; not deactivating it` });
    expect(status(old)).toBe('active');
  });

  it('blocking through the waits (fake clock) goes on as soon as the sessions are gone', async () => {
    const old = await throughDrain();
    issuer.sessions!.set(old, 1);
    const origin = clock.now().getTime();
    const polls: number[] = [];
    const lastUsed = issuer.lastUsed.bind(issuer);
    issuer.lastUsed = async (id) => {
      polls.push(clock.now().getTime() - origin);
      if (clock.now().getTime() - origin >= 5 * MIN) issuer.sessions!.set(old, 0);
      return lastUsed(id);
    };
    expect((await run(plan(), clock, { providers: { issuer, stores: [store] }, wait: true })).outcome.status).toBe('done');
    expect(status(old)).toBe('deleted');
    expect(polls.slice(0, 7)).toEqual([0, 1, 2, 3, 4, 5, 6].map((m) => m * MIN)); // every minute while connected
  });
});

describe('session gate before delete', () => {
  it('holds while the deactivated login still has sessions (deactivating does not end them), then deletes', async () => {
    const old = await throughDrain();
    await go();
    clock.advance(10 * MIN);
    await go();
    expect(status(old)).toBe('inactive');

    issuer.sessions!.set(old, 1); // a session opened before the deactivation, still there
    clock.advance(24 * 60 * MIN);
    const held = await go();
    expect(held.outcome).toEqual({ status: 'held', code: 'old-key-sessions' });
    expect(held.events.find((e) => e.type === 'held')).toMatchObject({
      message: expect.stringContaining(`old key ${old} is still used by 1 session connected now (from 10.0.0.7), opened before it was deactivated`),
      hint: expect.stringContaining('keyrot doctor'),
    });
    expect(status(old)).toBe('inactive');

    issuer.sessions!.set(old, 0);
    expect((await go()).outcome.status).toBe('done');
    expect(status(old)).toBe('deleted');
  });
});

describe('create after a crash', () => {
  it('refuses to discard an orphan that has sessions (someone logged in with a password keyrot never handed out)', async () => {
    expect((await go()).outcome.status).toBe('done');
    const s = state();
    // A run that died right after create: state says create is acting, the issuer has one more key.
    const orphan = (await issuer.create()).keyId;
    issuer.sessions!.set(orphan, 1);
    const { writeFileSync } = await import('node:fs');
    const file = `${stateDirOf(plan())}/state/db.json`;
    writeFileSync(file, JSON.stringify({ ...s, phase: 'create', stage: 'acting', completedAt: null, oldKeyId: s.newKeyId, keysBeforeCreate: [s.newKeyId], newKeyId: null, newFingerprint: null, published: [], verifiedAt: null, authenticatedAt: null, rotationId: 'crashed', version: s.version }));
    const { outcome } = await go();
    expect(outcome).toEqual({ status: 'held', code: 'orphan-used' });
    expect(status(orphan)).toBe('active');
  });
});
