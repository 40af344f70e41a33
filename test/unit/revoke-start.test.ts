// Which rotation record a revoke runs in, with a rotation in flight or not (src/engine/revoke.ts,
// beginRevoke): the same revoke again goes on where it stood, a leaked old key takes the rotation
// over, any other leaked key is revoked inside the rotation in flight unless a target serves it
// (revoke-also.test.ts has the rest), and a key that is already
// inactive or unknown is never "revoked" by deactivating some other key. In-process fakes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { planObject, revoke, run, stateDirOf } from '../helpers/engine.js';
import { readState } from '../helpers/inspect.js';
import { fakeRig, type Rig } from '../helpers/rig.js';

const DAY = 24 * 60 * 60_000;
let { ws, clock, issuer, store } = {} as Rig;
beforeEach(() => ({ ws, clock, issuer, store } = fakeRig()));
afterEach(() => ws.cleanup());

const plan = () => planObject(ws.dir, { name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }], delete: { requireApproval: false } });
const providers = () => ({ issuer, stores: [store] });
const status = (id: string) => issuer.keys.find((k) => k.id === id)?.status ?? 'deleted';
const phases = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'phase' ? [e.phase] : []));
const changes = () => issuer.calls.filter((c) => !c.startsWith('lastUsed'));

function servedKey(): string {
  const id = issuer.seed('active');
  store.current = { keyId: id, secret: issuer.keys[0]!.secret };
  return id;
}

describe('which rotation a revoke runs in', () => {
  it('the same revoke again goes on where it stood: the leaked key is not revoked a second time', async () => {
    const leaked = servedKey();
    expect((await revoke(plan(), clock, leaked, { providers: providers() })).outcome.status).toBe('waiting'); // in the soak
    const before = [...issuer.calls];
    const again = await revoke(plan(), clock, leaked, { providers: providers() });
    expect(again.outcome.status).toBe('waiting');
    expect(phases(again.events)).not.toContain('revoke');
    expect(issuer.calls).toEqual(before);
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ mode: 'revoke', phase: 'soak', oldKeyId: leaked });
  });

  it('while a rotation is in flight, another leaked key that a target serves is refused (naming both keys), and nothing is deactivated', async () => {
    const old = servedKey();
    expect((await run(plan(), clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting'); // in drain
    const third = issuer.seed('active'); // made by hand, and put in the target by hand: not the rotation's
    store.current = { keyId: third, secret: issuer.keys.find((k) => k.id === third)!.secret };
    const err = await revoke(plan(), clock, third, { providers: providers() }).catch((e: Error & { code: string }) => e);
    expect(err).toMatchObject({ code: 'revoke-conflict', message: expect.stringContaining(old) });
    expect(changes()).toEqual(['create FAKE2']);
    expect([status(old), status('FAKE2'), status(third)]).toEqual(['active', 'active', 'active']);
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ mode: 'rotate', phase: 'drain', oldKeyId: old });
  });

  it('while a revoke is in flight, another leaked key is revoked inside it, not taken for the same revoke again', async () => {
    const leaked = servedKey();
    expect((await revoke(plan(), clock, leaked, { providers: providers() })).outcome.status).toBe('waiting'); // in the soak
    const third = issuer.seed('active'); // made by hand: neither the leaked key nor its replacement
    const { outcome, events } = await revoke(plan(), clock, third, { providers: providers() });
    expect(outcome.status).toBe('waiting');
    expect(phases(events)).toEqual([]); // no phase runs again: the rotation stays in its soak
    expect([status(leaked), status(third)]).toEqual(['inactive', 'inactive']);
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ mode: 'revoke', phase: 'soak', oldKeyId: leaked, alsoRevoked: [{ keyId: third, finished: true }] });
  });

  it('a key that is already inactive: nothing to revoke, and the active key is left alone', async () => {
    const active = servedKey();
    const inactive = issuer.seed('inactive');
    const { outcome } = await revoke(plan(), clock, inactive, { providers: providers() });
    expect(outcome).toEqual({ status: 'done' });
    expect(changes()).toEqual([]);
    expect(status(active)).toBe('active');
    expect(readState(stateDirOf(plan()), 'api')).toBeUndefined();
  });

  it('a key the issuer does not list: refused as having no owner, nothing changed', async () => {
    const active = servedKey();
    const err = await revoke(plan(), clock, 'FAKE99', { providers: providers() }).catch((e: Error & { code: string }) => e);
    expect(err).toMatchObject({ code: 'revoke-no-owner' });
    expect(changes()).toEqual([]);
    expect(status(active)).toBe('active');
  });

  it('after a finished rotation, a leaked current key starts a revoke of its own (the old record is not resumed)', async () => {
    servedKey();
    await run(plan(), clock, { providers: providers(), wait: false });
    clock.advance(10 * DAY);
    expect((await run(plan(), clock, { providers: providers() })).outcome.status).toBe('done');
    const current = store.current!.keyId;
    const { outcome, events } = await revoke(plan(), clock, current, { providers: providers() });
    expect(outcome.status).toBe('waiting');
    expect(phases(events)).toEqual(['revoke', 'create', 'publish', 'verify', 'deactivate', 'soak']);
    expect(status(current)).toBe('inactive');
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ mode: 'revoke', oldKeyId: current });
  });
});
