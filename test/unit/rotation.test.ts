// A whole rotation over real files (generated issuer, file store, file state), with a fake clock.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { load, run, stateDirOf } from '../helpers/engine.js';
import { leakedIndexes, readAudit, readLedger, readState, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const MIN = 60_000;

describe('a rotation of a generated key published to a file', () => {
  it('issues a first key and stops after verify when the issuer has none', async () => {
    const plan = await load(ws.plan('api', localPlan('api')));
    const { outcome, events } = await run(plan, new FakeClock());

    expect(outcome.status).toBe('done');
    const store = readStore(path.join(ws.dir, 'api-keys.json'));
    expect(store.current?.keyId).toMatch(/^key-/);
    expect(store.previous).toBeUndefined();
    expect(events.filter((e) => e.type === 'phase').map((e) => e.type === 'phase' && e.phase)).toEqual(['create', 'publish', 'verify']);
  });

  it('walks every phase in order and leaves exactly the new key', async () => {
    const plan = await load(ws.plan('api', localPlan('api')));
    const clock = new FakeClock();
    await run(plan, clock);
    const first = readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId;

    const { outcome, events } = await run(plan, clock);

    expect(outcome.status).toBe('done');
    expect(events.filter((e) => e.type === 'phase').map((e) => e.type === 'phase' && e.phase)).toEqual([
      'create', 'publish', 'verify', 'drain', 'last-used', 'deactivate', 'soak', 'delete',
    ]);
    const store = readStore(path.join(ws.dir, 'api-keys.json'));
    expect(store.current?.keyId).not.toBe(first);
    expect(store.previous).toBeUndefined();
    expect(store.retired).toBeUndefined();
    expect(readLedger(stateDirOf(plan), 'api')).toEqual([expect.objectContaining({ id: store.current!.keyId, status: 'active' })]);
    // The waits were the plan's: 15m of overlap, then 7d of soak after deactivation.
    expect(clock.sleeps.map((d) => d.getTime() - clock.sleeps[0]!.getTime())).toEqual([0, 7 * 24 * 60 * MIN]);
  });

  it('writes one audit record per side effect, with key ids and never a secret', async () => {
    const plan = await load(ws.plan('api', localPlan('api')));
    const clock = new FakeClock();
    await run(plan, clock);
    await run(plan, clock);

    const actions = readAudit(stateDirOf(plan)).map((r) => r.action);
    expect(actions).toEqual([
      'create-key', 'publish', 'verify',
      'create-key', 'publish', 'verify', 'deactivate-key', 'retire-from-store', 'delete-key', 'purge-from-store',
    ]);
    const secrets = secretsIn(readStore(path.join(ws.dir, 'api-keys.json')));
    expect(leakedIndexes(ws.read('.keyrot/audit.jsonl') + ws.read('.keyrot/state/api.json'), secrets)).toEqual([]);
  });

  it('never shows a secret in an event', async () => {
    const plan = await load(ws.plan('api', localPlan('api')));
    const clock = new FakeClock();
    const first = await run(plan, clock, { wait: false });
    const firstSecrets = secretsIn(readStore(path.join(ws.dir, 'api-keys.json')));
    const second = await run(plan, clock);
    const secrets = [...firstSecrets, ...secretsIn(readStore(path.join(ws.dir, 'api-keys.json')))];
    expect(leakedIndexes(JSON.stringify([first.events, second.events]), secrets)).toEqual([]);
  });
});

describe('waits are stored deadlines', () => {
  it('with --no-wait stops at the overlap window and keeps the same countdown across runs', async () => {
    const plan = await load(ws.plan('api', localPlan('api')));
    const clock = new FakeClock();
    await run(plan, clock);

    const firstTry = await run(plan, clock, { wait: false });
    expect(firstTry.outcome.status).toBe('waiting');
    const deadline = readState(stateDirOf(plan), 'api')!.deadlines.drain;
    expect(new Date(deadline!).getTime() - clock.now().getTime()).toBe(15 * MIN);

    clock.advance(10 * MIN);
    const secondTry = await run(plan, clock, { wait: false });
    expect(secondTry.outcome).toEqual({ status: 'waiting', until: new Date(deadline!) });

    clock.advance(5 * MIN);
    const thirdTry = await run(plan, clock, { wait: false });
    expect(thirdTry.outcome.status).toBe('waiting'); // now in the soak
    expect(readState(stateDirOf(plan), 'api')!.phase).toBe('soak');

    clock.advance(7 * 24 * 60 * MIN);
    expect((await run(plan, clock, { wait: false })).outcome.status).toBe('done');
  });

  it('an interrupt during a wait loses nothing: the next run continues the same countdown', async () => {
    const plan = await load(ws.plan('api', localPlan('api')));
    const clock = new FakeClock();
    await run(plan, clock);
    const controller = new AbortController();
    const sleeping = clock.sleepUntil.bind(clock);
    clock.sleepUntil = async (until, signal) => {
      controller.abort();
      return sleeping(until, signal);
    };

    const interrupted = await run(plan, clock, { signal: controller.signal });
    expect(interrupted.outcome.status).toBe('interrupted');
    const saved = readState(stateDirOf(plan), 'api')!;
    expect(saved).toMatchObject({ phase: 'drain', stage: 'waiting' });

    clock.sleepUntil = sleeping;
    const resumed = await run(plan, clock);
    expect(resumed.outcome.status).toBe('done');
    expect(clock.sleeps[0]!.toISOString()).toBe(saved.deadlines.drain);
  });
});

describe('--due', () => {
  it('starts a rotation only once the active key is older than schedule.maxAge', async () => {
    const plan = await load(ws.plan('api', localPlan('api', { schedule: { maxAge: '30d' } })));
    const clock = new FakeClock();
    await run(plan, clock);

    clock.advance(29 * 24 * 60 * MIN);
    const early = await run(plan, clock, { due: true });
    expect(early.outcome.status).toBe('not-due');
    expect(early.events).toContainEqual(expect.objectContaining({ type: 'not-due', reason: expect.stringContaining('29d old') }));

    clock.advance(2 * 24 * 60 * MIN);
    expect((await run(plan, clock, { due: true, wait: false })).outcome.status).toBe('waiting');
  });

  it('never starts a plan that has no schedule', async () => {
    const plan = await load(ws.plan('api', localPlan('api')));
    const result = await run(plan, new FakeClock(), { due: true });
    expect(result.outcome.status).toBe('not-due');
    expect(ws.exists('api-keys.json')).toBe(false);
  });
});

describe('rehearse: true', () => {
  it('issues the first key and rotates it at once through every phase', async () => {
    const plan = await load(ws.plan('api', localPlan('api', { rehearse: true })));
    const { outcome, events } = await run(plan, new FakeClock());
    expect(outcome.status).toBe('done');
    expect(events.filter((e) => e.type === 'done')).toHaveLength(2);
    expect(readLedger(stateDirOf(plan), 'api')).toHaveLength(1);
    expect(readStore(path.join(ws.dir, 'api-keys.json')).previous).toBeUndefined();
  });
});
