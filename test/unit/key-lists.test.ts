// Issue 17: one key list per phase where nothing can have changed in between, and the re-check kept
// wherever time has passed (a resume after a crash). Counted at a fake issuer; the same rotation against
// moto, counted at the server, is in test/e2e/aws-iam-calls.e2e.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import type { KeyIssuer } from '../../src/providers/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeIssuer, FakeStore } from '../helpers/fakes.js';
import { planObject, run, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

/** A fake issuer that counts what it is asked, reads included. */
class CountingIssuer extends FakeIssuer {
  asked: string[] = [];
  override async list() {
    this.asked.push('list');
    return super.list();
  }
  override async lastUsed(id: string) {
    this.asked.push('lastUsed');
    return super.lastUsed(id);
  }
}

let ws: Workspace;
let clock: FakeClock;
let issuer: CountingIssuer;
beforeEach(() => {
  ws = workspace();
  clock = new FakeClock();
  issuer = new CountingIssuer(() => clock.now());
});
afterEach(() => ws.cleanup());

const plan = (extra: Record<string, unknown> = {}) =>
  planObject(ws.dir, { name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }], drain: 0, soak: 0, ...extra });
const seedOld = (store: FakeStore) => {
  const id = issuer.seed('active');
  store.current = { keyId: id, secret: issuer.keys[0]!.secret };
  return id;
};
const audit = () => readAudit(stateDirOf(plan())).map((r) => `${r.action}:${r.outcome}`);
const lists = () => issuer.asked.filter((a) => a === 'list').length;

describe('key lists in a rotation', () => {
  it('reads the key list once: the create gate\'s list serves create, and deactivate and delete ask no list', async () => {
    const store = new FakeStore('a');
    const old = seedOld(store);

    expect((await run(plan(), clock, { providers: { issuer, stores: [store] } })).outcome.status).toBe('done');

    expect(lists()).toBe(1);
    // No lastUsed rule: only the delete gate asks (invariant 2), once.
    expect(issuer.asked.filter((a) => a === 'lastUsed')).toHaveLength(1);
    expect(issuer.calls).toEqual([expect.stringMatching(/^create /), `deactivate ${old}`, `delete ${old}`]);
    expect(audit()).toEqual(expect.arrayContaining(['deactivate-key:ok', 'delete-key:ok']));
    // The list before create is on record: it is how a resume finds an orphan.
    expect(readState(stateDirOf(plan()), 'api')!.keysBeforeCreate).toEqual([old]);
  });

  it('asks when the old key was last used in the last-used phase only when the plan has a lastUsed rule', async () => {
    const store = new FakeStore('a');
    seedOld(store);
    const withRule = plan({ lastUsed: { quietFor: 60_000, maxWait: 3_600_000 } });

    expect((await run(withRule, clock, { providers: { issuer, stores: [store] } })).outcome.status).toBe('done');

    expect(issuer.asked.filter((a) => a === 'lastUsed')).toHaveLength(2); // the last-used phase, then the delete gate
    expect(lists()).toBe(1);
  });

  it('run --due hands its list to the create gate: one list in all', async () => {
    const store = new FakeStore('a');
    seedOld(store);
    clock.advance(31 * 86_400_000);

    const { outcome } = await run(plan({ schedule: { maxAge: 30 * 86_400_000 } }), clock, { due: true, providers: { issuer, stores: [store] } });

    expect(outcome.status).toBe('done');
    expect(lists()).toBe(1);
  });
});

describe('re-checks kept where time has passed', () => {
  it('a deactivation cut short is checked on resume with a list, and recorded as found', async () => {
    const store = new FakeStore('a');
    const old = seedOld(store);
    const deactivate = issuer.deactivate.bind(issuer);
    issuer.deactivate = async (id) => {
      await deactivate(id);
      issuer.deactivate = deactivate;
      throw new KeyrotError('provider-failed', { provider: 'fake', operation: 'deactivate', reason: 'connection reset' });
    };
    expect((await run(plan(), clock, { providers: { issuer, stores: [store] } })).outcome.status).toBe('failed');
    issuer.asked = [];

    expect((await run(plan(), clock, { providers: { issuer, stores: [store] } })).outcome.status).toBe('done');

    expect(lists()).toBe(1); // the resume's check; the delete that follows asks none
    expect(issuer.calls.filter((c) => c === `deactivate ${old}`)).toHaveLength(1);
    expect(audit().filter((a) => a.startsWith('deactivate-key'))).toEqual(['deactivate-key:skipped']);
  });

  it('an old key deleted by hand during the overlap is found gone when deactivate fails, and the rotation finishes', async () => {
    const store = new FakeStore('a');
    const old = seedOld(store);
    const plain = plan({ drain: 60_000 });
    expect((await run(plain, clock, { wait: false, providers: { issuer, stores: [store] } })).outcome.status).toBe('waiting');
    issuer.keys = issuer.keys.filter((k) => k.id !== old); // someone deletes it by hand
    clock.advance(60_000);

    expect((await run(plain, clock, { providers: { issuer, stores: [store] } })).outcome.status).toBe('done');

    const deactivation = readAudit(stateDirOf(plain)).filter((r) => r.action === 'deactivate-key');
    expect(deactivation).toEqual([expect.objectContaining({ outcome: 'skipped', detail: expect.stringContaining('gone from the issuer') })]);
  });

  it('a deactivation that fails while the key is still there fails the run (no skip recorded)', async () => {
    const store = new FakeStore('a');
    const old = seedOld(store);
    issuer.deactivate = async () => {
      throw new KeyrotError('provider-failed', { provider: 'fake', operation: 'deactivate', reason: 'access denied' });
    };

    const { outcome } = await run(plan(), clock, { providers: { issuer, stores: [store] } });

    expect(outcome).toMatchObject({ status: 'failed', code: 'provider-failed' });
    expect(issuer.keys.find((k) => k.id === old)?.status).toBe('active');
    expect(audit().some((a) => a.startsWith('deactivate-key'))).toBe(false);
  });

  it('an issuer that says its delete found the key gone is recorded as found gone, without a list', async () => {
    const store = new FakeStore('a');
    const old = seedOld(store);
    const del = issuer.delete.bind(issuer);
    (issuer as KeyIssuer).delete = async (id) => {
      const there = issuer.keys.some((k) => k.id === id);
      await del(id);
      return there ? undefined : 'gone';
    };
    const deactivate = issuer.deactivate.bind(issuer);
    issuer.deactivate = async (id) => {
      await deactivate(id);
      issuer.keys = issuer.keys.filter((k) => k.id !== old); // deleted by hand once inactive
    };

    expect((await run(plan(), clock, { providers: { issuer, stores: [store] } })).outcome.status).toBe('done');

    expect(lists()).toBe(1);
    expect(readAudit(stateDirOf(plan())).filter((r) => r.action === 'delete-key')).toEqual([
      expect.objectContaining({ outcome: 'skipped', detail: expect.stringContaining('already gone') }),
    ]);
  });

  it('an orphan from a run that died after create is found with one list, deleted, and create surveys what is left', async () => {
    const store = new FakeStore('a');
    const old = seedOld(store);
    store.failPublish = true; // the key is created, then publishing fails: its secret dies with the process
    expect((await run(plan(), clock, { providers: { issuer, stores: [store] } })).outcome.status).toBe('failed');
    const orphan = issuer.keys.find((k) => k.id !== old)!.id;
    store.failPublish = false;
    issuer.asked = [];

    // A new process: nothing of the first run is in memory.
    expect((await run(plan(), clock, { providers: { issuer, stores: [store] } })).outcome.status).toBe('done');

    expect(issuer.calls).toContain(`delete ${orphan}`);
    expect(audit()).toContain('delete-orphan-key:ok');
    expect(issuer.keys.map((k) => k.id)).toEqual([store.current!.keyId]);
    expect(issuer.mostKeysSeen).toBeLessThanOrEqual(2);
    expect(lists()).toBe(1); // the orphan search; create surveys what it left
    expect(readState(stateDirOf(plan()), 'api')!.keysBeforeCreate).toEqual([old]);
  });
});
