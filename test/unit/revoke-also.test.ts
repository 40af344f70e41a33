// Another leaked key of a plan whose rotation is in flight (src/engine/revoke-also.ts): active, neither
// the rotation's old nor its new key, served by no target. Revoked at once inside that rotation, as the
// revoke phase treats a leaked key; the rotation goes on where it stood; remembered in its record, so a
// run cut short finishes it and the rotation's delete deletes it with the old key. In-process fakes,
// through the command's own path (revokeKey), with a fake clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { decide as operate } from '../../src/engine/operations/decide.js';
import { surveyKeys } from '../../src/engine/keys.js';
import { revokeKey } from '../../src/engine/revoke.js';
import type { RotationState } from '../../src/engine/rotation.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import { openState } from '../../src/state/open.js';
import { stateProblem } from '../../src/state/schema.js';
import type { StateStore } from '../../src/state/store.js';
import { decide, run, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { FakeStore } from '../helpers/fakes.js';
import { DAY, fakeRig, rigPlan, servedKey, type Rig } from '../helpers/rig.js';

let rig: Rig;
let plan: LoadedPlan;
/** Targets beside the rig's one (a plan publishing to more than one). */
let others: FakeStore[];
beforeEach(() => {
  rig = fakeRig();
  plan = rigPlan(rig, { delete: { requireApproval: false } });
  others = [];
});
afterEach(() => rig.ws.cleanup());

const providers = () => ({ issuer: rig.issuer, stores: [rig.store, ...others] });
const status = (id: string) => rig.issuer.keys.find((k) => k.id === id)?.status ?? 'deleted';
const changes = () => rig.issuer.calls.filter((c) => !c.startsWith('lastUsed'));
const saved = () => readState(stateDirOf(plan), 'api')!;
const notes = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'note' ? [e.message] : []));
const audit = () => readAudit(stateDirOf(plan)).map((r) => `${r.action}: ${r.detail}`);

class Crash extends Error {}

/** `keyrot revoke --key ID plan` as the command runs it; `crashAfterSave`: die right after that state save. */
async function revokeOne(keyId: string, flags: { delete?: boolean; crashAfterSave?: number } = {}) {
  const events: RunEvent[] = [];
  const asked: string[] = [];
  let saves = 0;
  const crashing = (store: StateStore): StateStore =>
    new Proxy(store, {
      get(target, name) {
        if (name === 'save') {
          return async (state: RotationState) => {
            const done = await target.save(state);
            if (++saves === flags.crashAfterSave) throw new Crash(`after save #${saves} (${state.phase}:${state.stage})`);
            return done;
          };
        }
        const value = Reflect.get(target, name, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  const options = { ...sessionOptions(rig.clock, events, { wait: false, providers: providers() }), states: openState(undefined, process.env, crashing) };
  const request = {
    plan, keyId, delete: flags.delete ?? false, locations: [], count: 1, withYes: { command: 'keyrot revoke --yes', piped: false },
    consent: async (q: string) => (asked.push(q), 'yes' as const),
  };
  const outcome = await revokeKey(request, options).catch((e: unknown) => e as Error);
  return { outcome, events, asked, saves };
}

/** The plan's key (FAKE1) rotating: its new key (FAKE2) published, in the overlap window. */
async function rotationInDrain(): Promise<{ old: string; fresh: string }> {
  const old = servedKey(rig);
  expect((await run(plan, rig.clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting');
  expect(saved()).toMatchObject({ mode: 'rotate', phase: 'drain', stage: 'waiting' });
  return { old, fresh: saved().newKeyId! };
}

describe('another leaked key while a planned rotation is in flight', () => {
  it('is deactivated at once, dropped from every target, its last use told; the rotation stays where it stood', async () => {
    const { old, fresh } = await rotationInDrain();
    const drainEnds = saved().deadlines.drain;
    const stray = rig.issuer.seed('active');
    rig.issuer.lastUse.set(stray, new Date('2025-12-31T23:00:00Z'));
    rig.clock.advance(60_000);
    const { outcome, events, asked } = await revokeOne(stray);

    expect(outcome).toEqual({ status: 'done' });
    expect(asked).toHaveLength(1);
    expect(changes()).toEqual([`create ${fresh}`, `deactivate ${stray}`]);
    expect([status(old), status(fresh), status(stray)]).toEqual(['active', 'active', 'inactive']);
    expect(rig.store.calls.slice(-2)).toEqual([`onDeactivate ${stray}`, `onDelete ${stray}`]);
    expect(rig.store.current?.keyId).toBe(fresh); // what consumers use is untouched
    expect(saved()).toMatchObject({
      mode: 'rotate', phase: 'drain', stage: 'waiting', oldKeyId: old, newKeyId: fresh, deadlines: { drain: drainEnds },
      alsoRevoked: [{ keyId: stray, revokedAt: rig.clock.now().toISOString(), finished: true }],
    });
    expect(audit()).toEqual(expect.arrayContaining([
      `revoke-key: deactivated leaked key ${stray}`,
      `last-used: leaked key ${stray} was last used: 2025-12-31T23:00:00.000Z by sts in us-east-1`,
    ]));
    expect(notes(events)).toEqual([
      `${stray} was last used: 2025-12-31T23:00:00.000Z by sts in us-east-1`,
      `revoked ${stray}; the rotation in flight goes on where it stood, at drain (waiting); the rotation's delete deletes it with ${old} after the soak`,
    ]);
  });

  it('the rotation then goes on from its overlap (never restarted) and its delete deletes the leaked key with the old one', async () => {
    const { old, fresh } = await rotationInDrain();
    const stray = rig.issuer.seed('active');
    await revokeOne(stray);
    rig.clock.advance(DAY);
    const next = await run(plan, rig.clock, { providers: providers(), wait: false, confirm: false });
    expect(next.events.find((e) => e.type === 'start')).toMatchObject({ phase: 'drain' });
    // The permanent delete asks its one question for both keys: declined, neither is deleted.
    expect(next.outcome).toMatchObject({ status: 'waiting' }); // the soak
    rig.clock.advance(8 * DAY);
    expect((await run(plan, rig.clock, { providers: providers(), wait: false, confirm: false })).outcome).toEqual({ status: 'held', code: 'delete-declined' });
    expect([status(old), status(stray)]).toEqual(['inactive', 'inactive']);
    expect((await run(plan, rig.clock, { providers: providers(), wait: false })).outcome).toEqual({ status: 'done' });
    expect(rig.issuer.keys.map((k) => `${k.id}:${k.status}`)).toEqual([`${fresh}:active`]);
    expect(changes().filter((c) => c.startsWith('create'))).toEqual([`create ${fresh}`]);
    expect(changes().slice(-2)).toEqual([`delete ${old}`, `delete ${stray}`]);
    expect(rig.store.calls).toContain(`onDelete ${stray}`);
    expect(audit()).toContain(`delete-key: deleted leaked ${stray} (revoked inside this rotation)`);
  });

  it('a leaked key a target serves is still refused, with today\'s message, and nothing is deactivated', async () => {
    const { old, fresh } = await rotationInDrain();
    const stray = rig.issuer.seed('active');
    rig.store.current = { keyId: stray, secret: rig.issuer.keys.find((k) => k.id === stray)!.secret };
    const { outcome } = await revokeOne(stray);
    expect(outcome).toMatchObject({ code: 'revoke-conflict', message: `plan api is rotating ${old} -> ${fresh}; ${stray} is another active key of its issuer` });
    expect(changes()).toEqual([`create ${fresh}`]);
    expect(saved().alsoRevoked).toBeUndefined();
  });

  it('the rotation\'s new key is still refused (revoke-new-key)', async () => {
    const { fresh } = await rotationInDrain();
    rig.store.current = undefined; // even served by no target
    const { outcome } = await revokeOne(fresh);
    expect(outcome).toMatchObject({ code: 'revoke-new-key' });
    expect(status(fresh)).toBe('active');
  });

  it('an issuer that cannot deactivate keys: deleted at once, and said so', async () => {
    Object.assign(rig.issuer, { deactivates: false });
    await rotationInDrain();
    const stray = rig.issuer.seed('active');
    const { outcome, events } = await revokeOne(stray);
    expect(outcome).toEqual({ status: 'done' });
    expect(changes().at(-1)).toBe(`delete ${stray}`);
    expect(status(stray)).toBe('deleted');
    const at = rig.clock.now().toISOString();
    expect(saved().alsoRevoked).toEqual([{ keyId: stray, revokedAt: at, finished: true, deletedAt: at }]);
    expect(notes(events).at(-1)).toMatch(/; it was deleted at once \(fake issuer cannot deactivate keys\)$/);
    // The rotation's delete finds it gone (an issuer that can tell says so), and says that instead.
    const remove = rig.issuer.delete.bind(rig.issuer);
    Object.assign(rig.issuer, { delete: async (id: string) => (status(id) === 'deleted' ? 'gone' : remove(id)) });
    rig.clock.advance(9 * DAY);
    expect((await run(plan, rig.clock, { providers: providers() })).outcome).toEqual({ status: 'done' });
    expect(audit()).toContain(`delete-key: found leaked ${stray} already gone`);
  });

  it('the sessions a leaked database login opened are ended, as the revoke phase ends them', async () => {
    const ended: string[] = [];
    rig.issuer.openSessions = { explain: 'fake:end', end: async (id) => (ended.push(id), { ended: 2 }) };
    await rotationInDrain();
    const stray = rig.issuer.seed('active');
    expect((await revokeOne(stray)).outcome).toEqual({ status: 'done' });
    expect(ended).toEqual([stray]);
    expect(audit()).toContain(`end-sessions: ended 2 sessions open as leaked key ${stray}`);
  });

  it('sessions that could not be ended: the key stays revoked, exit 4, and the same revoke again ends them', async () => {
    let refuse = true;
    const ended: string[] = [];
    rig.issuer.openSessions = {
      explain: 'fake:end',
      end: async (id) => {
        if (refuse) throw new Error('server unreachable');
        ended.push(id);
        return { ended: 1 };
      },
    };
    await rotationInDrain();
    const stray = rig.issuer.seed('active');
    expect((await revokeOne(stray)).outcome).toMatchObject({ status: 'failed', code: 'revoke-sessions-failed', exitCode: 4 });
    expect(status(stray)).toBe('inactive');
    expect(saved().alsoRevoked).toEqual([expect.objectContaining({ keyId: stray, finished: true })]);
    refuse = false;
    expect((await revokeOne(stray)).outcome).toEqual({ status: 'done' });
    expect(ended).toEqual([stray]);
  });

  it('a key revoked again after someone reactivated it by hand is remembered once', async () => {
    await rotationInDrain();
    const stray = rig.issuer.seed('active');
    await revokeOne(stray);
    await rig.issuer.reactivate(stray);
    expect((await revokeOne(stray)).outcome).toEqual({ status: 'done' });
    expect(status(stray)).toBe('inactive');
    expect(saved().alsoRevoked?.map((k) => k.keyId)).toEqual([stray]);
  });
  // During a first rotation (no old key to delete it with): revoke-leftover.test.ts.
});

describe('another leaked key while a revoke is in flight (two keys of one plan leaked)', () => {
  it('is revoked inside it, and `revoke --delete` of it deletes both after the soak (the first, deleted to make room, is asked nothing)', async () => {
    const first = servedKey(rig);
    const second = rig.issuer.seed('active');
    expect((await revokeOne(first)).outcome).toEqual({ status: 'done' }); // replaced; in the soak
    const replacement = saved().newKeyId!;
    const { outcome, events } = await revokeOne(second);
    expect(outcome).toEqual({ status: 'done' });
    expect([status(second), status(replacement)]).toEqual(['inactive', 'active']);
    expect(saved()).toMatchObject({ mode: 'revoke', phase: 'soak', oldKeyId: first, alsoRevoked: [{ keyId: second, finished: true }] });
    expect(notes(events).at(-1)).toBe(`revoked ${second}; the rotation in flight goes on where it stood, at soak (waiting); \`keyrot revoke --delete --key ${second} ${plan.file}\` deletes it with ${first} after the soak`);

    rig.clock.advance(8 * DAY);
    // The first key made room for the replacement (the issuer was full): IAM has no last use for it any more.
    expect(status(first)).toBe('deleted');
    const lastUsed = rig.issuer.lastUsed.bind(rig.issuer);
    rig.issuer.lastUsed = async (id) => {
      if (status(id) === 'deleted') throw new Error(`NoSuchEntity: ${id}`);
      return lastUsed(id);
    };
    // A plain run after the soak holds for the approval: its hint is a command that works when pasted,
    // naming one key (the leaked one left; the revoke's own was deleted), never "ID (leaked)".
    const { outcome: gated, events: gatedEvents } = await run(plan, rig.clock, { providers: providers(), wait: false });
    expect(gated).toEqual({ status: 'held', code: 'approval-required' });
    const held = gatedEvents.find((e) => e.type === 'held');
    expect(held).toMatchObject({ message: `deleting ${second} (leaked) needs approval (a revoked key is deleted only on request); it stays inactive` });
    expect(held).toMatchObject({ hint: `when the investigation is done, run \`keyrot revoke --delete --key ${second} ${plan.file}\`` });
    const { outcome: deleted, asked } = await revokeOne(second, { delete: true });
    expect(deleted).toEqual({ status: 'done' });
    expect(asked).toEqual([`permanently delete the revoked key ${second} of plan api once its soak is over?`]);
    expect(rig.issuer.keys.map((k) => k.id)).toEqual([replacement]);
    expect(changes().slice(-2)).toEqual([`delete ${first}`, `delete ${second}`]);
  });

  it('`revoke --delete` of the first key deletes the second too; --delete of a key revoked inside a planned rotation is refused (its own delete does it)', async () => {
    const first = servedKey(rig);
    const second = rig.issuer.seed('active');
    await revokeOne(first);
    await revokeOne(second);
    rig.clock.advance(8 * DAY);
    expect((await revokeOne(first, { delete: true })).outcome).toEqual({ status: 'done' });
    expect(rig.issuer.keys.map((k) => k.id)).toEqual([saved().newKeyId]);

    rig.ws.cleanup();
    rig = fakeRig();
    plan = rigPlan(rig, { delete: { requireApproval: false } });
    await rotationInDrain();
    const stray = rig.issuer.seed('active');
    await revokeOne(stray);
    expect((await revokeOne(stray, { delete: true })).outcome).toMatchObject({ code: 'revoke-delete-first' });
    expect(status(stray)).toBe('inactive');
  });

  it('the same revoke of the second key again: nothing to revoke, nothing called', async () => {
    servedKey(rig);
    const second = rig.issuer.seed('active');
    await revokeOne(rig.issuer.keys[0]!.id);
    await revokeOne(second);
    const before = [...rig.issuer.calls];
    const { outcome, events } = await revokeOne(second);
    expect(outcome).toEqual({ status: 'done' });
    expect(notes(events)).toEqual([`nothing to revoke: ${second} is already inactive at fake issuer`]);
    expect(rig.issuer.calls).toEqual(before);
  });
});

describe('a revoke of another leaked key cut short', () => {
  it('is on disk before the issuer is called, and a crash after any save is finished by the next run, first, without restarting the rotation', async () => {
    const points: string[] = [];
    for (let k = 1; ; k++) {
      rig.ws.cleanup();
      rig = fakeRig();
      plan = rigPlan(rig, { delete: { requireApproval: false } });
      const { old, fresh } = await rotationInDrain();
      const stray = rig.issuer.seed('active');
      const cut = await revokeOne(stray, { crashAfterSave: k });
      if (!(cut.outcome instanceof Crash)) break; // past the last save: every one was covered
      points.push(cut.outcome.message);
      // The first save comes before anything is done to the key: it already names it.
      const [entry] = saved().alsoRevoked!;
      expect(entry?.keyId, `crash #${k}`).toBe(stray);
      const calls = rig.issuer.calls.length;
      rig.clock.advance(DAY); // past the overlap: the run goes on with the rotation once the leaked key is done
      const resumed = await run(plan, rig.clock, { providers: providers(), wait: false });
      expect(resumed.outcome.status, `crash #${k}`).toBe('waiting');
      const redone = entry!.finished ? [] : [`deactivate ${stray}`];
      expect(rig.issuer.calls.slice(calls).filter((c) => !c.startsWith('lastUsed')), `crash #${k}`).toEqual([...redone, `deactivate ${old}`]);
      expect(rig.store.calls.filter((c) => c.endsWith(stray)).slice(-2), `crash #${k}`).toEqual([`onDeactivate ${stray}`, `onDelete ${stray}`]);
      expect(saved(), `crash #${k}`).toMatchObject({ phase: 'soak', newKeyId: fresh, alsoRevoked: [{ keyId: stray, finished: true }] });
      expect(saved().alsoRevoked![0]!.revokedAt, `crash #${k}`).not.toBeNull();
      expect(status(stray)).toBe('inactive');
    }
    // Saved before the deactivate, after it, after each target's two steps, and once finished.
    expect(points).toEqual(['after save #1 (drain:waiting)', 'after save #2 (drain:waiting)', 'after save #3 (drain:waiting)', 'after save #4 (drain:waiting)', 'after save #5 (drain:waiting)']);
  });

  it('the deactivate took effect but was never recorded (the call failed on the way back): the same revoke again finishes it', async () => {
    await rotationInDrain();
    const stray = rig.issuer.seed('active');
    const deactivate = rig.issuer.deactivate.bind(rig.issuer);
    rig.issuer.deactivate = async (id) => {
      await deactivate(id);
      throw new Error('connection reset');
    };
    expect((await revokeOne(stray)).outcome).toMatchObject({ exitCode: 4 });
    expect(status(stray)).toBe('inactive');
    expect(saved().alsoRevoked).toEqual([{ keyId: stray, revokedAt: null, finished: false }]);
    rig.issuer.deactivate = deactivate;
    expect((await revokeOne(stray)).outcome).toEqual({ status: 'done' });
    expect(saved().alsoRevoked).toEqual([{ keyId: stray, revokedAt: rig.clock.now().toISOString(), finished: true }]);
    expect(rig.store.calls.slice(-2)).toEqual([`onDeactivate ${stray}`, `onDelete ${stray}`]);
  });
});

describe('the issuer\'s key limit', () => {
  it('a leaked key revoked inside the rotation makes room for a new create, as the revoke\'s own key does', async () => {
    const first = servedKey(rig);
    const second = rig.issuer.seed('active');
    await revokeOne(first); // the issuer was full: the revoked first key was deleted to make room
    expect(rig.issuer.keys.map((k) => k.id)).toEqual([second, saved().newKeyId]);
    await revokeOne(second);
    // Full again (2 of 2: an inactive key counts). Were the replacement lost and created anew, the
    // revoked second key is the one deleted first, whatever the plan says about inactive keys.
    const { picture } = await decide(plan, rig.clock, (ctx) => surveyKeys(ctx), { providers: providers() });
    expect(picture?.evict).toBe(second);
  });

  it('of two revoked keys the issuer still holds, the revoke\'s own is deleted first to make room', async () => {
    const first = servedKey(rig);
    await revokeOne(first); // the issuer had room: the first key stays, inactive, beside its replacement
    const second = rig.issuer.seed('active'); // made by hand since
    await revokeOne(second);
    expect([status(first), status(second)]).toEqual(['inactive', 'inactive']);
    const { picture } = await decide(plan, rig.clock, (ctx) => surveyKeys(ctx), { providers: providers() });
    expect(picture?.evict).toBe(first);
  });

  it('in a planned rotation too; an inactive key nobody revoked is not deleted without the plan\'s leave', async () => {
    const { fresh } = await rotationInDrain();
    const stray = rig.issuer.seed('active');
    await revokeOne(stray);
    await rig.issuer.delete(fresh);
    const { picture } = await decide(plan, rig.clock, (ctx) => surveyKeys(ctx), { providers: providers() });
    expect(picture?.evict).toBe(stray);
    await decide(plan, rig.clock, async (ctx) => {
      ctx.state.alsoRevoked = [];
      await ctx.save();
    }, { providers: providers() });
    const { gate } = await decide(plan, rig.clock, (ctx) => surveyKeys(ctx), { providers: providers() });
    expect(gate).toMatchObject({ kind: 'hold', code: 'key-limit' });
  });
});

describe('the record', () => {
  const record = (extra: Record<string, unknown>) => ({
    format: 1, plan: 'api', rotationId: 'r1', startedAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', version: 3, mode: 'rotate',
    phase: 'drain', stage: 'waiting', resumeAt: null, oldKeyId: 'K1', keysBeforeCreate: ['K1'], newKeyId: 'K2', newFingerprint: 'sha256:0123456789ab',
    published: [], verifiedAt: null, authenticatedAt: null, deadlines: {}, deactivatedAt: null, approvedBy: null, rolledBack: null,
    completedAt: null, abandoned: false, hold: null, ...extra,
  });

  it('written by the previous version (no alsoRevoked) still loads; a malformed entry is named', () => {
    expect(stateProblem(record({}), 'api')).toBeUndefined();
    expect(stateProblem(record({ alsoRevoked: [{ keyId: 'K3', revokedAt: '2026-01-01T00:01:00Z', finished: true }] }), 'api')).toBeUndefined();
    expect(stateProblem(record({ alsoRevoked: [{ keyId: 'K3', revokedAt: null }] }), 'api')?.reason).toMatch(/^alsoRevoked\[0\]\.finished: /);
  });
});

describe('which key each decision is about (the survivors of mutation run 12)', () => {
  it('two leaked keys revoked one after the other inside one rotation: each deactivated and its sessions ended once, both remembered, the delete deletes both', async () => {
    const ended: string[] = [];
    rig.issuer.openSessions = { explain: 'fake:end', end: async (id) => (ended.push(id), { ended: 1 }) };
    const { old, fresh } = await rotationInDrain();
    const first = rig.issuer.seed('active');
    expect((await revokeOne(first)).outcome).toEqual({ status: 'done' });
    const second = rig.issuer.seed('active');
    expect((await revokeOne(second)).outcome).toEqual({ status: 'done' });
    expect(ended).toEqual([first, second]);
    expect([status(first), status(second)]).toEqual(['inactive', 'inactive']);
    expect(saved().alsoRevoked?.map((k) => `${k.keyId}:${k.finished}`)).toEqual([`${first}:true`, `${second}:true`]);
    rig.clock.advance(DAY);
    expect((await run(plan, rig.clock, { providers: providers(), wait: false })).outcome).toMatchObject({ status: 'waiting' }); // the soak
    rig.clock.advance(8 * DAY);
    expect((await run(plan, rig.clock, { providers: providers(), wait: false })).outcome).toEqual({ status: 'done' });
    expect(rig.issuer.keys.map((k) => k.id)).toEqual([fresh]);
    expect(changes().filter((c) => c.startsWith('delete'))).toEqual([`delete ${old}`, `delete ${first}`, `delete ${second}`]);
  });

  it('a leaked key revoked while another one\'s revoke is cut short: both are revoked, not just the one cut short', async () => {
    await rotationInDrain();
    const first = rig.issuer.seed('active');
    const deactivate = rig.issuer.deactivate.bind(rig.issuer);
    rig.issuer.deactivate = async () => {
      throw new Error('connection reset');
    };
    expect((await revokeOne(first)).outcome).toMatchObject({ exitCode: 4 });
    expect(status(first)).toBe('active');
    rig.issuer.deactivate = deactivate;
    const second = rig.issuer.seed('active');
    expect((await revokeOne(second)).outcome).toEqual({ status: 'done' });
    expect([status(first), status(second)]).toEqual(['inactive', 'inactive']);
    expect(changes().slice(-2)).toEqual([`deactivate ${first}`, `deactivate ${second}`]);
    expect(saved().alsoRevoked?.map((k) => `${k.keyId}:${k.finished}`)).toEqual([`${first}:true`, `${second}:true`]);
  });

  it('a leaked key one of two targets serves is refused (revoke-conflict), and stays active', async () => {
    plan = rigPlan(rig, { publish: [{ type: 'file', path: 'a.json' }, { type: 'file', path: 'b.json' }], delete: { requireApproval: false } });
    others = [new FakeStore('second store')];
    const { fresh } = await rotationInDrain();
    expect([rig.store.current?.keyId, others[0]!.current?.keyId]).toEqual([fresh, fresh]);
    const stray = rig.issuer.seed('active');
    others[0]!.current = { keyId: stray, secret: rig.issuer.keys.find((k) => k.id === stray)!.secret }; // put there by hand
    const { outcome, asked } = await revokeOne(stray);
    expect(outcome).toMatchObject({ code: 'revoke-conflict' });
    expect(asked).toEqual([]);
    expect(status(stray)).toBe('active');
    expect(saved().alsoRevoked).toBeUndefined();
  });

  it('`revoke --delete` of a key no revoke in flight revoked (beside one that did revoke another) is refused: nothing asked, nothing deleted', async () => {
    const first = servedKey(rig);
    const second = rig.issuer.seed('active');
    await revokeOne(first);
    await revokeOne(second);
    const replacement = saved().newKeyId!;
    rig.clock.advance(8 * DAY);
    const before = [...rig.issuer.calls];
    const { outcome, asked } = await revokeOne(replacement, { delete: true });
    expect(outcome).toMatchObject({ code: 'revoke-delete-first', exitCode: 2 });
    expect(asked).toEqual([]);
    expect(rig.issuer.calls).toEqual(before);
    expect([status(second), status(replacement)]).toEqual(['inactive', 'active']);
  });

  it('the old key an abandoned rotation left inactive, revoked: nothing to revoke, but its open sessions are ended (the attacker\'s foothold); the abandoned record is left as it was', async () => {
    const ended: string[] = [];
    rig.issuer.openSessions = { explain: 'fake:end', end: async (id) => (ended.push(id), { ended: 1 }) };
    const { old } = await rotationInDrain();
    rig.clock.advance(DAY);
    expect((await run(plan, rig.clock, { providers: providers(), wait: false })).outcome).toMatchObject({ status: 'waiting' }); // the soak
    await operate(plan, { decision: 'abandon', retireNew: false }, { ...sessionOptions(rig.clock, [], { wait: false, providers: providers() }), command: 'keyrot abandon' });
    expect(saved()).toMatchObject({ mode: 'rotate', phase: 'done', abandoned: true, oldKeyId: old });
    const record = saved();
    expect(status(old)).toBe('inactive');
    const { outcome, events } = await revokeOne(old);
    expect(outcome).toEqual({ status: 'done' });
    expect(notes(events)).toEqual([`nothing to revoke: ${old} is already inactive at fake issuer`]);
    expect(ended).toEqual([old]);
    expect(audit().filter((line) => line.startsWith('end-sessions'))).toEqual([`end-sessions: ended 1 session open as leaked key ${old}`]);
    expect(saved()).toEqual(record);
  });

  it('`revoke --delete` again once the revoke is done is refused: nothing asked, no key made or deleted', async () => {
    const first = servedKey(rig);
    await revokeOne(first);
    rig.clock.advance(8 * DAY);
    expect((await revokeOne(first, { delete: true })).outcome).toEqual({ status: 'done' });
    expect(saved()).toMatchObject({ mode: 'revoke', phase: 'done' });
    const before = [...rig.issuer.calls];
    const { outcome, asked } = await revokeOne(first, { delete: true });
    expect(outcome).toMatchObject({ code: 'revoke-delete-first', exitCode: 2 });
    expect(asked).toEqual([]);
    expect(rig.issuer.calls).toEqual(before);
  });
});
