// `run --due` decides before taking a lock (issue 27): a plan that is not due is reported so without
// its lock (a quiet tick over many plans takes none), a plan due or in flight is locked and checked
// again under the lock, exactly as before, so nothing changes meaning.
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { runPlans } from '../../src/engine/operations/run.js';
import type { Providers } from '../../src/engine/providers.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { openState } from '../../src/state/open.js';
import type { PlanLock, StateStore } from '../../src/state/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeIssuer, FakeStore } from '../helpers/fakes.js';
import { load, planObject, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

const DAY = 86_400_000;
let ws: Workspace;
let clock: FakeClock;
let held: PlanLock | undefined;
beforeEach(() => {
  ws = workspace();
  clock = new FakeClock();
});
afterEach(async () => {
  await held?.release();
  held = undefined;
  ws.cleanup();
});

async function tick(plans: LoadedPlan[], opts: { due?: boolean; providers?: Providers; beforeLock?: () => Promise<void> } = {}) {
  const events: RunEvent[] = [];
  const options = sessionOptions(clock, events, { due: opts.due ?? true, wait: false, providers: opts.providers });
  if (opts.beforeLock) options.states = openState(undefined, process.env, lockingAfter(opts.beforeLock));
  const results = await runPlans(plans, { concurrency: 4 }, options);
  return { results, events, outcome: (plan: string) => results.find((r) => r.plan === plan)!.outcome };
}

/** Another keyrot process holds the plan's lock (another host's tick). */
async function holdLock(loaded: LoadedPlan): Promise<void> {
  const other = new FileStateStore(stateDirOf(loaded));
  held = await other.lock(loaded.plan.name, { host: os.hostname(), pid: 1, command: 'keyrot run (the other tick)', since: new Date().toISOString() }, 0);
}

/** Every store's lock() runs `first` before it locks: what another process did between our first look and our lock. */
const lockingAfter = (first: () => Promise<void>) => (store: StateStore): StateStore =>
  new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'lock') return async (...args: Parameters<StateStore['lock']>) => (await first(), target.lock(...args));
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

describe('run --due: a plan not due is skipped without its lock', () => {
  it('reports not-due while another process holds the lock, instead of lock-held', async () => {
    const api = await load(ws.plan('api', localPlan('api', { schedule: { maxAge: '30d' } })));
    expect((await tick([api], { due: false })).outcome('api').status).toBe('done'); // the first key
    clock.advance(29 * DAY);
    await holdLock(api);
    const { outcome, events } = await tick([api]);
    expect(outcome('api').status).toBe('not-due');
    expect(events).toContainEqual(expect.objectContaining({ type: 'not-due', plan: 'api', reason: expect.stringContaining('active key is 29d old') }));
    expect(events.some((e) => e.type === 'failed')).toBe(false);
  });

  it('locks a plan that is due, and one in flight: the lock another process holds is reported', async () => {
    const due = await load(ws.plan('due', localPlan('due', { schedule: { maxAge: '30d' } })));
    const flying = await load(ws.plan('flying', localPlan('flying', { schedule: { maxAge: '30d' } })));
    await tick([due, flying], { due: false });
    clock.advance(31 * DAY);
    // flying starts its rotation and parks in the drain: in flight.
    expect((await tick([flying])).outcome('flying').status).toBe('waiting');
    await holdLock(due);
    const first = await tick([due, flying]);
    expect(first.outcome('due')).toMatchObject({ status: 'held', code: 'lock-held' });
    expect(first.outcome('flying').status).toBe('waiting'); // locked, looked at, still draining
    await held!.release();
    held = undefined;
    await holdLock(flying);
    expect((await tick([flying])).outcome('flying')).toMatchObject({ status: 'held', code: 'lock-held' });
  });

  it('starts the rotation once the key reaches maxAge', async () => {
    const api = await load(ws.plan('api', localPlan('api', { schedule: { maxAge: '30d' } })));
    await tick([api], { due: false });
    clock.advance(30 * DAY - 60_000);
    expect((await tick([api])).outcome('api').status).toBe('not-due');
    clock.advance(60_000);
    expect((await tick([api])).outcome('api').status).toBe('waiting'); // due: started, parked in the drain
  });

  it('takes the key age from the same place as the check under the lock (the ledger), not from the record', async () => {
    const api = await load(ws.plan('api', localPlan('api', { schedule: { maxAge: '30d' } })));
    await tick([api], { due: false });
    // The ledger says the key is older than the record's rotation (restored from a backup, say): due.
    const ledger = new FileStateStore(stateDirOf(api)).ledger('api');
    const { keys, version } = await ledger.load();
    await ledger.save(keys.map((k) => ({ ...k, createdAt: new Date(clock.now().getTime() - 31 * DAY).toISOString() })), version);
    await holdLock(api);
    expect((await tick([api])).outcome('api')).toMatchObject({ status: 'held', code: 'lock-held' });
  });

  it('asks an issuer keyrot does not keep (IAM) for its keys without the lock, and again under it when due', async () => {
    const issuer = new FakeIssuer(() => clock.now());
    const providers = { issuer, stores: [new FakeStore()] };
    const plan = planObject(ws.dir, { name: 'iam', source: { type: 'aws-iam', user: 'svc' }, publish: [{ type: 'file' }], schedule: { maxAge: 30 * DAY } });
    issuer.seed('active', new Date(clock.now().getTime() - 10 * DAY));
    let lists = 0;
    const list = issuer.list.bind(issuer);
    issuer.list = async () => (lists++, list());
    await holdLock(plan);
    expect((await tick([plan], { providers })).outcome('iam').status).toBe('not-due');
    expect(lists).toBe(1);
    clock.advance(25 * DAY);
    lists = 0;
    expect((await tick([plan], { providers })).outcome('iam')).toMatchObject({ status: 'held', code: 'lock-held' });
    expect(lists).toBe(1); // due without the lock; the lock then refused
    await held!.release();
    held = undefined;
    lists = 0;
    expect((await tick([plan], { providers })).outcome('iam').status).toBe('waiting');
    expect(lists).toBe(2); // once without the lock, once under it: the list the create gate takes
  });

  it('acts on nothing it saw before the lock: a plan another process rotated in between is checked again and left alone (ledger)', async () => {
    const api = await load(ws.plan('api', localPlan('api', { schedule: { maxAge: '30d' } })));
    await tick([api], { due: false });
    clock.advance(31 * DAY);
    const ledger = new FileStateStore(stateDirOf(api)).ledger('api');
    const before = (await ledger.load()).keys;
    // Seen due before the lock; by the time the lock is taken, another tick has a fresh key in the ledger.
    const { outcome, events } = await tick([api], {
      beforeLock: async () => {
        const { keys, version } = await ledger.load();
        await ledger.save(keys.map((k) => ({ ...k, createdAt: clock.now().toISOString() })), version);
      },
    });
    expect(outcome('api').status).toBe('not-due');
    expect(events).toContainEqual(expect.objectContaining({ type: 'not-due', plan: 'api', reason: expect.stringContaining('active key is 0') }));
    expect((await ledger.load()).keys.map((k) => k.id)).toEqual(before.map((k) => k.id)); // no key issued
  });

  it('acts on nothing it saw before the lock: a key another process created in between is seen under the lock (IAM)', async () => {
    const issuer = new FakeIssuer(() => clock.now());
    const providers = { issuer, stores: [new FakeStore()] };
    const plan = planObject(ws.dir, { name: 'iam', source: { type: 'aws-iam', user: 'svc' }, publish: [{ type: 'file' }], schedule: { maxAge: 30 * DAY } });
    issuer.seed('active', new Date(clock.now().getTime() - 31 * DAY));
    const { outcome } = await tick([plan], { providers, beforeLock: async () => void issuer.seed('active', clock.now()) });
    expect(outcome('iam').status).toBe('not-due');
    expect(issuer.calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });
});
