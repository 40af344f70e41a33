// Each gate holds when it should, says why, and releases when its condition clears.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer, FakeStore } from '../helpers/fakes.js';
import { planObject, run, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { fakeRig, type Rig } from '../helpers/rig.js';

const MIN = 60_000;
let { ws, clock, issuer, store } = {} as Rig;
beforeEach(() => ({ ws, clock, issuer, store } = fakeRig()));
afterEach(() => ws.cleanup());

const plan = (extra: Record<string, unknown> = {}) =>
  planObject(ws.dir, { name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }], ...extra });
const go = (p = plan(), opts: Parameters<typeof run>[2] = {}) => run(p, clock, { providers: { issuer, stores: [store] }, ...opts });

/** An issuer with one active key that the store serves: the usual starting point. */
const status = (id: string) => issuer.keys.find((k) => k.id === id)?.status ?? 'deleted';

function existingKey(): string {
  const id = issuer.seed('active', new Date(clock.now().getTime() - 40 * 24 * 60 * MIN));
  store.current = { keyId: id, secret: issuer.keys[0]!.secret };
  return id;
}

describe('create: the issuer must have room', () => {
  it('holds at two keys, listing both with status, age and last use, and the clean-up call', async () => {
    const old = existingKey();
    const spare = issuer.seed('inactive');
    issuer.lastUse.set(old, new Date(clock.now().getTime() - 5 * MIN));

    const { outcome, events } = await go();

    expect(outcome).toEqual({ status: 'held', code: 'key-limit' });
    const held = events.find((e) => e.type === 'held');
    expect(held).toMatchObject({ phase: 'create', message: expect.stringContaining(`${old}, ${spare}`), hint: expect.stringContaining(`fake:delete for ${spare}`) });
    expect(held && 'evidence' in held && held.evidence.join('\n')).toMatch(new RegExp(`${old} \\(active, 40d old\\), last used .* by sts in us-east-1`));
    expect(issuer.calls).toEqual([]);
  });

  it('releases once a key is cleaned up', async () => {
    existingKey();
    const spare = issuer.seed('inactive');
    expect((await go()).outcome.status).toBe('held');
    await issuer.delete(spare);
    expect((await go(plan(), { wait: false })).outcome.status).toBe('waiting');
  });

  it('deletes an inactive key first when the plan allows it, and audits that', async () => {
    const old = existingKey();
    const spare = issuer.seed('inactive');
    const { outcome } = await go(plan({ source: { type: 'generated', deleteInactiveKey: true } }), { wait: false });
    expect(outcome.status).toBe('waiting');
    expect(issuer.calls.slice(0, 2)).toEqual([`delete ${spare}`, 'create FAKE3']);
    expect(readAudit(stateDirOf(plan()))[0]).toMatchObject({ action: 'delete-inactive-key', detail: expect.stringContaining(spare) });
    // The key list a resume looks for orphans against no longer names the deleted key.
    expect(readState(stateDirOf(plan()), 'api')!.keysBeforeCreate).toEqual([old]);
  });
});

describe('publish: never overwrite what keyrot does not manage', () => {
  it('holds on an unmanaged secret before creating anything in the store', async () => {
    existingKey();
    store.managed = false;
    const { outcome } = await go();
    expect(outcome).toEqual({ status: 'held', code: 'store-unmanaged' });
    expect(store.calls).toEqual([]);
    expect(issuer.calls).toEqual([]); // held at the create gate: no key made only to be thrown away
  });

  it('adopts it when the target says adopt: true', async () => {
    existingKey();
    store.managed = false;
    store.adopt = true;
    const { outcome } = await go(plan({ publish: [{ type: 'file', adopt: true }] }), { wait: false });
    expect(outcome.status).toBe('waiting');
    expect(store.calls).toEqual(['publish FAKE2']);
  });
});

describe('publish: what it found at each target, and a run cut short midway', () => {
  const second = () => new FakeStore('second store');
  const twoTargets = () => plan({ publish: [{ type: 'file', path: 'a.json', adopt: true }, { type: 'file', path: 'b.json' }] });

  it('says, target by target, whether it adopts an unmanaged secret or found nothing there', async () => {
    existingKey();
    store.managed = false;
    store.adopt = true;
    const other = second();
    const { events } = await go(twoTargets(), { wait: false, providers: { issuer, stores: [store, other] } });
    const notes = events.filter((e) => e.type === 'note' && e.phase === 'publish').map((e) => (e as { message: string }).message);
    expect(notes).toEqual(['fake store: adopting an unmanaged secret', 'second store: absent']);
  });

  it('names the target whose secret keyrot does not manage', async () => {
    existingKey();
    store.managed = false;
    const { events } = await go();
    expect(events.find((e) => e.type === 'held')).toMatchObject({ code: 'store-unmanaged', message: expect.stringContaining('fake store') });
  });

  it('a run cut short after the first target publishes only to the others on resume', async () => {
    existingKey();
    const other = second();
    other.failPublish = true;
    const stores = [store, other];
    await go(twoTargets(), { wait: false, providers: { issuer, stores } });
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ phase: 'publish', published: [expect.any(String)] });
    other.failPublish = false;
    store.calls = [];
    const { outcome, events } = await go(twoTargets(), { wait: false, providers: { issuer, stores } });
    expect(outcome.status).toBe('waiting');
    expect(store.calls).toEqual([]);
    expect(other.calls).toEqual(['publish FAKE2']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'publish', message: 'resuming publish: it was interrupted (recover)' }));
  });
});

describe('verify: the new key must authenticate', () => {
  it('holds with the old key untouched when it does not', async () => {
    const old = existingKey();
    issuer.rejectVerify = true;
    const { outcome, events } = await go();
    expect(outcome).toEqual({ status: 'held', code: 'verify-failed' });
    expect(issuer.keys.find((k) => k.id === old)?.status).toBe('active');
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ phase: 'verify', message: expect.stringContaining('the old key is untouched') });

    issuer.rejectVerify = false;
    expect((await go()).outcome.status).toBe('done');
  });
});

describe('last-used: the old key must go quiet before it is deactivated', () => {
  const withRule = () => plan({ lastUsed: { quietFor: 30 * MIN, maxWait: 24 * 60 * MIN } });

  it('waits until the old key has been idle for quietFor, then deactivates it', async () => {
    const old = existingKey();
    const first = await go(withRule(), { wait: false }); // drain
    expect(first.outcome.status).toBe('waiting');
    clock.advance(15 * MIN);
    issuer.lastUse.set(old, new Date(clock.now().getTime() - 10 * MIN)); // still in use 10 minutes ago

    const second = await go(withRule(), { wait: false });
    expect(second.outcome).toEqual({ status: 'waiting', until: new Date(clock.now().getTime() + 20 * MIN) });
    expect(issuer.keys.find((k) => k.id === old)?.status).toBe('active');

    clock.advance(20 * MIN);
    await go(withRule(), { wait: false });
    expect(issuer.keys.find((k) => k.id === old)?.status).toBe('inactive');
  });

  it('holds with the evidence (when, which service, which region) after maxWait', async () => {
    const old = existingKey();
    await go(withRule(), { wait: false });
    clock.advance(15 * MIN);
    for (let hour = 0; hour < 25; hour++) {
      issuer.lastUse.set(old, clock.now()); // busy all day
      const r = await go(withRule(), { wait: false });
      if (r.outcome.status === 'held') {
        expect(r.outcome.code).toBe('old-key-in-use');
        expect(r.events.find((e) => e.type === 'held')).toMatchObject({ evidence: [expect.stringMatching(/last used: .* by sts in us-east-1/)] });
        expect(readState(stateDirOf(plan()), 'api')!.hold).toMatchObject({ code: 'old-key-in-use' });
        expect(issuer.keys.find((k) => k.id === old)?.status).toBe('active');
        return;
      }
      clock.advance(60 * MIN);
    }
    throw new Error('never held');
  });

  it('passes at once when the issuer does not report last use', async () => {
    existingKey();
    issuer.reportsLastUse = false;
    const { outcome, events } = await go(withRule());
    expect(outcome.status).toBe('done');
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'last-used', message: expect.stringContaining('not reported') }));
  });
});

describe('delete: only after a quiet soak, and only when confirmed', () => {
  it('holds when the old key was used after it was deactivated', async () => {
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    await go(plan(), { wait: false }); // deactivated, soaking
    clock.advance(60 * MIN);
    issuer.lastUse.set(old, clock.now()); // a consumer still tries the old key

    clock.advance(7 * 24 * 60 * MIN);
    const { outcome } = await go(plan(), { wait: false });
    expect(outcome).toEqual({ status: 'held', code: 'used-after-deactivate' });
    expect(issuer.keys.map((k) => k.id)).toContain(old);
  });

  it('holds when the operator declines, and deletes on a later confirmed run', async () => {
    const old = existingKey();
    const declined = await go(plan(), { confirm: false });
    expect(declined.outcome).toEqual({ status: 'held', code: 'delete-declined' });
    expect(issuer.keys.find((k) => k.id === old)?.status).toBe('inactive');

    expect((await go(plan(), { confirm: true })).outcome.status).toBe('done');
    expect(issuer.keys.map((k) => k.id)).not.toContain(old);
  });
});

describe('invariant 1: nothing is deactivated before the new key is everywhere', () => {
  it('deactivates only after every store got the new key and it was verified', async () => {
    const old = existingKey();
    const second = new FakeStore('second store');
    second.current = { ...store.current! };
    await run(plan({ publish: [{ type: 'file' }, { type: 'file' }] }), clock, { providers: { issuer, stores: [store, second] } });
    const order = [...issuer.calls, ...store.calls, ...second.calls];
    expect(order).toContain(`deactivate ${old}`);
    // Both stores were given the new key before the issuer was told to deactivate the old one.
    expect(store.calls[0]).toBe('publish FAKE2');
    expect(second.calls[0]).toBe('publish FAKE2');
    expect(issuer.calls.indexOf(`deactivate ${old}`)).toBeGreaterThan(issuer.calls.indexOf('create FAKE2'));
  });

  it('refuses to deactivate when the plan gained a target the new key never reached (edited mid-rotation)', async () => {
    const old = existingKey();
    await go(plan({ publish: [{ type: 'file', path: 'a.json' }] }), { wait: false }); // waiting in drain
    clock.advance(15 * MIN);
    const { outcome, events } = await go(plan({ publish: [{ type: 'file', path: 'b.json' }] }), { wait: false });
    expect(outcome).toEqual({ status: 'held', code: 'targets-changed' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ phase: 'deactivate', message: expect.stringContaining('fake store never got the new key') });
    expect(status(old)).toBe('active');
  });

  it('refuses to deactivate when state says nothing was published (a tampered or buggy state)', async () => {
    existingKey();
    await go(plan(), { wait: false }); // waiting in drain
    const state = JSON.parse(ws.read('.keyrot/state/api.json'));
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...state, published: [], verifiedAt: null }));
    clock.advance(15 * MIN);
    const { outcome, events } = await go(plan(), { wait: false });
    expect(outcome).toEqual({ status: 'held', code: 'invariant' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ phase: 'deactivate', message: expect.stringContaining('not published to fake store') });
    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([]);
  });
});

describe('delete: its own gate checks the soak, whatever the state says', () => {
  it('holds a state at delete whose soak deadline is still ahead (a tampered or buggy state), and deletes nothing', async () => {
    const old = existingKey();
    await go(plan(), { wait: false }); // drain
    clock.advance(15 * MIN);
    expect((await go(plan(), { wait: false })).outcome.status).toBe('waiting'); // deactivated, soaking
    const state = JSON.parse(ws.read('.keyrot/state/api.json'));
    expect(new Date(state.deadlines.soak).getTime()).toBeGreaterThan(clock.now().getTime());
    // The soak wait skipped: the record says delete is next, with the soak deadline 7 days ahead.
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...state, phase: 'delete', stage: 'ready' }));

    const { outcome, events } = await go(plan(), { wait: false });

    expect(outcome).toEqual({ status: 'held', code: 'invariant' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ phase: 'delete', message: expect.stringContaining(`${old} has not been inactive for the whole soak`) });
    expect(status(old)).toBe('inactive');
    expect(issuer.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(store.calls.filter((c) => c.startsWith('onDelete'))).toEqual([]);
  });
});

describe('delete: use at the very moment of deactivation counts as use since', () => {
  it('holds when the old key was last used exactly when it was deactivated', async () => {
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    await go(plan(), { wait: false }); // deactivated now
    issuer.lastUse.set(old, new Date(readState(stateDirOf(plan()), 'api')!.deactivatedAt!));
    clock.advance(7 * 24 * 60 * MIN);
    expect((await go(plan(), { wait: false })).outcome).toEqual({ status: 'held', code: 'used-after-deactivate' });
  });

  it('holds a state at delete that says the key was never deactivated, whatever its soak deadline', async () => {
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    await go(plan(), { wait: false });
    clock.advance(7 * 24 * 60 * MIN);
    const state = JSON.parse(ws.read('.keyrot/state/api.json'));
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...state, phase: 'delete', stage: 'ready', deactivatedAt: null }));
    expect((await go(plan(), { wait: false })).outcome).toEqual({ status: 'held', code: 'invariant' });
    expect(status(old)).toBe('inactive');
  });
});

describe('create after a crash with no key list on record', () => {
  it('deletes no key: only a key missing from a list saved before create can be an orphan', async () => {
    const old = existingKey();
    await go(plan(), { wait: false });
    const state = JSON.parse(ws.read('.keyrot/state/api.json'));
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...state, phase: 'create', stage: 'acting', keysBeforeCreate: null, newKeyId: null, newFingerprint: null, published: [] }));
    await issuer.delete('FAKE2'); // as if create never reached the issuer
    issuer.calls = [];
    await go(plan(), { wait: false });
    expect(issuer.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(status(old)).toBe('active');
  });
});

describe('deactivate with an issuer that cannot deactivate keys', () => {
  it('stops every target serving the old key, records why the issuer still accepts it, and soaks', async () => {
    class Undeactivatable extends FakeIssuer {
      readonly deactivates = false;
    }
    issuer = new Undeactivatable(() => clock.now());
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    const { outcome, events } = await go(plan(), { wait: false });
    expect(outcome).toMatchObject({ status: 'waiting' }); // soaking
    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([]);
    expect(store.calls).toContain(`onDeactivate ${old}`);
    expect(events.find((e) => e.type === 'step' && e.action === 'deactivate-key')).toMatchObject({
      detail: `fake issuer cannot deactivate keys: ${old} stays valid there until it is deleted after the soak`,
    });
    expect(readAudit(stateDirOf(plan())).find((r) => r.action === 'deactivate-key')).toMatchObject({ outcome: 'skipped' });
    expect(readState(stateDirOf(plan()), 'api')!.deactivatedAt).toBe(clock.now().toISOString());
  });
});

describe('invariant 1, checked by the deactivate gate itself', () => {
  it('holds when a target lost the new key during the overlap, keeps the old key active, and goes back to verify', async () => {
    const old = existingKey();
    await go(plan(), { wait: false }); // published, verified, waiting in drain
    const published = store.current!;
    store.current = { keyId: old, secret: issuer.keys.find((k) => k.id === old)!.secret }; // restored from an old backup
    clock.advance(15 * MIN);

    const { outcome, events } = await go(plan(), { wait: false });

    expect(outcome).toEqual({ status: 'held', code: 'target-lost' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ phase: 'deactivate', evidence: [`fake store serves ${old}`] });
    expect(status(old)).toBe('active');
    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([]);
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ phase: 'verify', stage: 'ready' });

    // Once the target serves the new key again, verify passes and the rotation goes on to deactivate.
    store.current = published;
    expect((await go(plan(), { wait: false })).outcome.status).toBe('waiting');
    expect(status(old)).toBe('inactive');
  });

  it('holds a plan that gained verify: true mid-rotation until the new key is proven to authenticate', async () => {
    const old = existingKey();
    await go(plan({ verify: false }), { wait: false }); // read back, never proven: waiting in drain
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ phase: 'drain', authenticatedAt: null });
    clock.advance(15 * MIN);

    const { outcome, events } = await go(plan({ verify: true }), { wait: false });

    expect(outcome).toEqual({ status: 'held', code: 'invariant' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ phase: 'deactivate', message: expect.stringContaining('not proven to authenticate') });
    expect(status(old)).toBe('active');
    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([]);
  });
});

describe('deactivate: a state that says the new key was never read back', () => {
  it('holds (a tampered or half-written state), naming what is missing, and the old key stays active', async () => {
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    const state = readState(stateDirOf(plan()), 'api')!;
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...state, phase: 'deactivate', stage: 'ready', verifiedAt: null }));
    const { outcome, events } = await go(plan(), { wait: false });
    expect(outcome).toEqual({ status: 'held', code: 'invariant' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ phase: 'deactivate', message: expect.stringContaining('not read back from every target') });
    expect(status(old)).toBe('active');
  });
});

describe('create after a crash: an orphan someone already uses', () => {
  it('is not deleted: the run holds, naming the orphan and its last use, and the old key stays', async () => {
    const old = existingKey();
    store.failPublish = true; // the key is created, then publishing fails: its secret dies with the process
    expect((await go(plan())).outcome.status).toBe('failed');
    const orphan = issuer.keys.find((k) => k.id !== old)!.id;
    store.failPublish = false;
    issuer.lastUse.set(orphan, new Date(clock.now().getTime() - MIN)); // yet someone has it, and uses it

    const { outcome, events } = await go(plan());

    expect(outcome).toMatchObject({ status: 'held', code: 'orphan-used' });
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ phase: 'create', message: expect.stringContaining(orphan) });
    expect(issuer.keys.map((k) => `${k.id}:${k.status}`)).toEqual([`${old}:active`, `${orphan}:active`]);
    expect(issuer.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(store.current?.keyId).toBe(old);
  });
});
