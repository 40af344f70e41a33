// Leaked keys revoked inside a rotation that has no delete of its own for them (src/engine/revoke-also.ts):
// a first rotation (no old key) now soaks them and deletes them; a rotation abandoned before its delete
// hands them to the plan's next rotation, whose delete deletes them; status lists them until then. The
// delete's rules hold for them as for any key: inactive for the whole soak, then the one question (or --yes).
// In-process fakes, a fake clock, through the commands' own engine paths.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { decide } from '../../src/engine/operations/decide.js';
import { runSession } from '../../src/engine/operations/run.js';
import { status as statusOf } from '../../src/engine/operations/status.js';
import { revokeKey } from '../../src/engine/revoke.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import { sessionOptions, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { DAY, fakeRig, rigPlan, servedKey, type Rig } from '../helpers/rig.js';

let rig: Rig;
let plan: LoadedPlan;
beforeEach(() => {
  rig = fakeRig();
  // Room for a stray key beside a rotation's two: at a full issuer a revoked key makes room at once (revoke-also.test.ts).
  Object.assign(rig.issuer, { maxKeys: 3 });
  plan = rigPlan(rig, { delete: { requireApproval: false } });
});
afterEach(() => rig.ws.cleanup());

const providers = () => ({ issuer: rig.issuer, stores: [rig.store] });
const status = (id: string) => rig.issuer.keys.find((k) => k.id === id)?.status ?? 'deleted';
const saved = () => readState(stateDirOf(plan), 'api')!;
const audit = () => readAudit(stateDirOf(plan)).map((r) => `${r.action}: ${r.detail}`);
const notes = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'note' ? [e.message] : []));

/** `keyrot run plan` (no --no-wait in effect: waits return), answering the delete question with `answer`; the questions asked. */
async function runPlan(answer: 'yes' | 'no' = 'yes') {
  const events: RunEvent[] = [];
  const asked: string[] = [];
  const options = { ...sessionOptions(rig.clock, events, { wait: false, providers: providers() }), confirm: async (q: string) => (asked.push(q), answer) };
  return { outcome: await runSession(plan, options), events, asked };
}

/** `keyrot revoke --key ID plan`, answered yes. */
async function revokeOne(keyId: string, flags: { delete?: boolean } = {}) {
  const events: RunEvent[] = [];
  const request = {
    plan, keyId, delete: flags.delete ?? false, locations: [], count: 1, withYes: { command: 'keyrot revoke --yes', piped: false },
    consent: async () => 'yes' as const,
  };
  const outcome = await revokeKey(request, sessionOptions(rig.clock, events, { wait: false, providers: providers() })).catch((e: unknown) => e as Error);
  return { outcome, events };
}

describe('a leaked key revoked inside a first rotation', () => {
  /** A first rotation (no key yet) stopped at publish, and a stray leaked key revoked inside it. */
  async function firstRotationWithLeak(): Promise<string> {
    rig.store.failPublish = true;
    expect((await runPlan()).outcome).toMatchObject({ status: 'failed' });
    rig.store.failPublish = false;
    const stray = rig.issuer.seed('active');
    const { outcome, events } = await revokeOne(stray);
    expect(outcome).toEqual({ status: 'done' });
    expect(notes(events).at(-1)).toBe(
      `revoked ${stray}; the rotation in flight goes on where it stood, at publish (acting); this first rotation's delete deletes it after the soak (\`keyrot run ${plan.file}\`)`,
    );
    return stray;
  }

  it('soaks, then its delete deletes it under the one question; declined, it stays inactive', async () => {
    const stray = await firstRotationWithLeak();
    const first = await runPlan();
    expect(first.outcome).toMatchObject({ status: 'waiting' }); // published, verified, now the soak
    const fresh = saved().newKeyId!;
    expect(saved()).toMatchObject({ phase: 'soak', stage: 'waiting', oldKeyId: null, deadlines: { soak: new Date(rig.clock.now().getTime() + 7 * DAY).toISOString() } });
    expect(status(fresh)).toBe('active');

    rig.clock.advance(6 * DAY); // not yet: the soak is not over
    expect((await runPlan()).outcome).toMatchObject({ status: 'waiting' });
    expect(status(stray), rig.issuer.calls.join()).toBe('inactive');

    rig.clock.advance(DAY);
    const declined = await runPlan('no');
    expect(declined.asked).toEqual([`plan api: delete the old key (permanent): ${stray} (leaked). Go ahead?`]);
    expect(declined.outcome).toEqual({ status: 'held', code: 'delete-declined' });
    expect(status(stray)).toBe('inactive');

    const callsBefore = rig.issuer.calls.length;
    const done = await runPlan();
    expect(done.outcome).toEqual({ status: 'done' });
    expect(rig.issuer.keys.map((k) => `${k.id}:${k.status}`)).toEqual([`${fresh}:active`]);
    expect(rig.store.calls).toContain(`onDelete ${stray}`);
    expect(rig.issuer.calls.slice(callsBefore).filter((c) => c.startsWith('delete '))).toEqual([`delete ${stray}`]); // no old key to delete: none asked of the issuer
    expect(saved()).toMatchObject({ phase: 'done', alsoRevoked: [{ keyId: stray, finished: true, deletedAt: rig.clock.now().toISOString() }] });
    expect(audit()).toContain(`delete-key: deleted leaked ${stray} (revoked inside this rotation)`);
    // Nothing is left for a next rotation to take over.
    expect((await runPlan()).outcome).toMatchObject({ status: 'waiting' });
    expect(saved().alsoRevoked).toBeUndefined();
  });

  it('a first rotation without a leaked key still ends at verify: no soak, nothing asked', async () => {
    const { outcome, asked } = await runPlan();
    expect(outcome).toEqual({ status: 'done' });
    expect(asked).toEqual([]);
    expect(saved()).toMatchObject({ phase: 'done', oldKeyId: null, deadlines: {} });
  });

  it('a record of the previous version (a first rotation done with its leaked key never deleted) hands it to the next rotation', async () => {
    const stray = await firstRotationWithLeak();
    rig.clock.advance(DAY);
    await runPlan(); // up to the soak
    // As the previous version left it: done after verify, the leaked key inactive, no deletedAt.
    const record = { ...saved(), phase: 'done', stage: 'waiting', deadlines: {}, completedAt: rig.clock.now().toISOString() };
    record.alsoRevoked = record.alsoRevoked!.map(({ keyId, revokedAt, finished }) => ({ keyId, revokedAt, finished }));
    writeFileSync(path.join(stateDirOf(plan), 'state', 'api.json'), JSON.stringify(record));
    const next = await runPlan(); // a planned rotation of the key the first one made
    expect(next.outcome).toMatchObject({ status: 'waiting' });
    expect(saved().alsoRevoked).toEqual([{ keyId: stray, revokedAt: record.alsoRevoked[0]!.revokedAt, finished: true }]);
    rig.clock.advance(9 * DAY);
    expect((await runPlan()).outcome).toMatchObject({ status: 'waiting' }); // past the overlap, into the soak
    rig.clock.advance(8 * DAY);
    expect((await runPlan()).outcome).toEqual({ status: 'done' });
    expect(status(stray)).toBe('deleted');
  });
});

describe('a leaked key revoked inside a rotation later abandoned', () => {
  /** A planned rotation in its overlap, a stray leaked key revoked inside it, then `keyrot abandon`. */
  async function abandonedWithLeak() {
    const old = servedKey(rig);
    expect((await runPlan()).outcome).toMatchObject({ status: 'waiting' });
    const stray = rig.issuer.seed('active');
    await revokeOne(stray);
    const abandoned = await decide(plan, { decision: 'abandon' }, { ...sessionOptions(rig.clock, [], { wait: false, providers: providers() }), command: 'keyrot abandon' });
    return { old, stray, abandoned };
  }

  it('abandon says it stays inactive until the next rotation; status lists it; the next rotation\'s delete deletes it after its soak', async () => {
    const { old, stray, abandoned } = await abandonedWithLeak();
    const advice = `leaked ${stray} inactive, not deleted: \`keyrot revoke --delete --key ${stray} ${plan.file}\` deletes it once its soak is over, or the plan's next rotation (\`keyrot run ${plan.file}\`) does`;
    expect(abandoned.outcome).toContain(`; ${advice}`);
    expect(status(stray)).toBe('inactive');

    const report = await statusOf([plan], {}, sessionOptions(rig.clock, [], { providers: providers() }));
    expect(report.rotations).toHaveLength(1);
    expect(report.rotations[0]!.state).toMatchObject({ phase: 'done', abandoned: true, alsoRevoked: [{ keyId: stray }] });
    expect(report.rotations[0]!.next).toBe(advice);

    // The next rotation: the abandoned one left two active keys; the operator deleted the old one by hand.
    rig.issuer.keys.splice(rig.issuer.keys.findIndex((k) => k.id === old), 1);
    rig.clock.advance(DAY);
    const next = await runPlan();
    expect(next.outcome, JSON.stringify(next.events.filter((e) => e.type === 'failed' || e.type === 'held'))).toMatchObject({ status: 'waiting' });
    expect(saved()).toMatchObject({ abandoned: false, phase: 'drain', alsoRevoked: [{ keyId: stray, finished: true }] });
    rig.clock.advance(DAY);
    expect((await runPlan()).outcome).toMatchObject({ status: 'waiting' }); // the soak
    expect(status(stray)).toBe('inactive');
    rig.clock.advance(8 * DAY);
    expect((await runPlan()).outcome).toEqual({ status: 'done' });
    expect(status(stray)).toBe('deleted');
    expect(audit()).toContain(`delete-key: deleted leaked ${stray} (revoked inside this rotation)`);
    expect((await statusOf([plan], {}, sessionOptions(rig.clock, [], { providers: providers() }))).rotations).toEqual([]);
  });

  it('a revoke of another key of the plan takes it over too: `revoke --delete --key` of it deletes both after the soak', async () => {
    const { stray } = await abandonedWithLeak();
    const current = rig.store.current!.keyId; // the abandoned rotation's new key, served
    rig.clock.advance(DAY);
    expect((await revokeOne(current)).outcome).toEqual({ status: 'done' });
    expect(saved()).toMatchObject({ mode: 'revoke', oldKeyId: current, alsoRevoked: [{ keyId: stray }] });
    rig.clock.advance(8 * DAY);
    expect((await revokeOne(stray, { delete: true })).outcome).toEqual({ status: 'done' });
    expect([status(current), status(stray)]).toEqual(['deleted', 'deleted']);
  });
});

describe('`revoke --delete --key` of a leaked key an abandoned rotation left', () => {
  it('before its soak is over: says when, deletes nothing; after: deletes it at the issuer and every store, recorded', async () => {
    const old = servedKey(rig);
    await runPlan();
    const stray = rig.issuer.seed('active');
    await revokeOne(stray);
    const revokedAt = rig.clock.now().toISOString();
    await decide(plan, { decision: 'abandon' }, { ...sessionOptions(rig.clock, [], { wait: false, providers: providers() }), command: 'keyrot abandon' });
    rig.clock.advance(DAY);
    const early = await revokeOne(stray, { delete: true });
    const soakEnd = new Date(Date.parse(revokedAt) + 7 * DAY);
    expect(early.outcome).toEqual({ status: 'waiting', until: soakEnd });
    expect(notes(early.events)).toEqual([`${stray} has been inactive since ${revokedAt}; its soak ends ${soakEnd.toISOString()}: the same command deletes it then`]);
    expect(status(stray)).toBe('inactive');

    rig.clock.advance(6 * DAY);
    const done = await revokeOne(stray, { delete: true });
    expect(done.outcome).toEqual({ status: 'done' });
    expect(notes(done.events)).toEqual([`deleted leaked ${stray}, inactive since ${revokedAt}`]);
    expect(status(stray)).toBe('deleted');
    expect(status(old)).toBe('active'); // the abandoned rotation's keys stay as they were
    expect(rig.store.calls.at(-1)).toBe(`onDelete ${stray}`);
    expect(saved()).toMatchObject({ phase: 'done', abandoned: true, alsoRevoked: [{ keyId: stray, deletedAt: rig.clock.now().toISOString() }] });
    expect(audit().slice(-2)).toEqual([`delete-key: deleted leaked ${stray} (revoked inside rotation ${saved().rotationId}, abandoned)`, `purge-from-store: fake store:onDelete: ${stray}`]);
    // Nothing left: status no longer lists it, and --delete again is refused as before.
    expect((await statusOf([plan], {}, sessionOptions(rig.clock, [], { providers: providers() }))).rotations).toEqual([]);
    expect((await revokeOne(stray, { delete: true })).outcome).toMatchObject({ code: 'revoke-delete-first' });
  });
  it('of one of two leaked keys left: its own revoke\'s soak counts, only it is deleted; a key not left is refused as before', async () => {
    servedKey(rig);
    await runPlan();
    const first = rig.issuer.seed('active');
    await revokeOne(first);
    rig.clock.advance(5 * DAY);
    const second = rig.issuer.seed('active');
    await revokeOne(second);
    const secondAt = rig.clock.now().toISOString();
    await decide(plan, { decision: 'abandon' }, { ...sessionOptions(rig.clock, [], { wait: false, providers: providers() }), command: 'keyrot abandon' });
    const current = rig.store.current!.keyId;
    expect((await revokeOne(current, { delete: true })).outcome).toMatchObject({ code: 'revoke-delete-first' });
    rig.clock.advance(3 * DAY); // the first key's soak is over, the second's is not
    const early = await revokeOne(second, { delete: true });
    expect(early.outcome).toEqual({ status: 'waiting', until: new Date(Date.parse(secondAt) + 7 * DAY) });
    expect([status(first), status(second)]).toEqual(['inactive', 'inactive']);
    expect((await revokeOne(first, { delete: true })).outcome).toEqual({ status: 'done' });
    expect([status(first), status(second)]).toEqual(['deleted', 'inactive']);
    expect(saved().alsoRevoked).toMatchObject([{ keyId: first, deletedAt: rig.clock.now().toISOString() }, { keyId: second }]);
    expect(saved().alsoRevoked![1]!.deletedAt).toBeUndefined();
  });

  it('its revoke cut short before the abandon: `revoke --delete` revokes it first (deactivated, never deleted active), and its soak starts then', async () => {
    servedKey(rig);
    await runPlan();
    const stray = rig.issuer.seed('active');
    await revokeOne(stray);
    await decide(plan, { decision: 'abandon' }, { ...sessionOptions(rig.clock, [], { wait: false, providers: providers() }), command: 'keyrot abandon' });
    // As a revoke killed before its deactivate left it: begun, not finished; the key still active.
    const record = saved();
    record.alsoRevoked = [{ keyId: stray, revokedAt: null, finished: false }];
    writeFileSync(path.join(stateDirOf(plan), 'state', 'api.json'), JSON.stringify(record));
    rig.issuer.keys.find((k) => k.id === stray)!.status = 'active';
    rig.clock.advance(30 * DAY);
    const { outcome } = await revokeOne(stray, { delete: true });
    expect(outcome).toEqual({ status: 'waiting', until: new Date(rig.clock.now().getTime() + 7 * DAY) });
    expect(status(stray)).toBe('inactive');
    expect(saved().alsoRevoked).toEqual([{ keyId: stray, revokedAt: rig.clock.now().toISOString(), finished: true }]);
  });
});

describe('a leaked key revoked during the soak', () => {
  it('of two leaked keys revoked inside the rotation, the delete waits for the one revoked last', async () => {
    servedKey(rig);
    await runPlan();
    rig.clock.advance(DAY);
    expect((await runPlan()).outcome).toMatchObject({ status: 'waiting' }); // the soak
    const soakEnds = Date.parse(saved().deadlines.soak!);
    const early = rig.issuer.seed('active');
    await revokeOne(early); // at the soak's start: its own soak ends with the rotation's
    rig.clock.advance(3 * DAY);
    const late = rig.issuer.seed('active');
    await revokeOne(late);
    const lateAt = rig.clock.now().getTime();
    rig.clock.advance(soakEnds - rig.clock.now().getTime());
    const waiting = await runPlan();
    expect(waiting.outcome).toEqual({ status: 'waiting', until: new Date(lateAt + 7 * DAY) });
    expect([status(early), status(late)]).toEqual(['inactive', 'inactive']);
  });

  it('is deleted only once it has been inactive for a whole soak itself: the delete waits for it', async () => {
    const old = servedKey(rig);
    await runPlan();
    rig.clock.advance(DAY);
    expect((await runPlan()).outcome).toMatchObject({ status: 'waiting' }); // the soak
    const soakEnds = saved().deadlines.soak!;
    rig.clock.advance(6 * DAY);
    const stray = rig.issuer.seed('active');
    await revokeOne(stray);
    const revokedAt = rig.clock.now().getTime();
    rig.clock.advance(Date.parse(soakEnds) - rig.clock.now().getTime());
    const early = await runPlan();
    expect(early.outcome).toEqual({ status: 'waiting', until: new Date(revokedAt + 7 * DAY) });
    expect(early.asked).toEqual([]);
    expect([status(old), status(stray)]).toEqual(['inactive', 'inactive']);
    rig.clock.advance(revokedAt + 7 * DAY - rig.clock.now().getTime());
    const done = await runPlan();
    expect(done.asked).toEqual([`plan api: delete the old key (permanent): ${old}, ${stray} (leaked). Go ahead?`]);
    expect(done.outcome).toEqual({ status: 'done' });
    expect([status(old), status(stray)]).toEqual(['deleted', 'deleted']);
  });
});
