// Phase rules that only show at an edge: a key used again late in the last-used wait, a run cut
// short between the publishes to a write-only and a readable target, a deactivation cut short before
// its issuer call, a target that lost the new key published again at verify. Each was a mutation
// survivor (docs/TESTING.md); in-process over fakes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Credential, PublishContext, Written } from '../../src/providers/types.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { FakeStore } from '../helpers/fakes.js';
import { run, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { DAY, fakeRig, MIN, rigPlan, servedKey, type Rig } from '../helpers/rig.js';

let rig: Rig;
let { ws, clock, issuer, store } = {} as Rig;
beforeEach(() => ({ ws, clock, issuer, store } = rig = fakeRig()));
afterEach(() => ws.cleanup());

const plan = (extra: Record<string, unknown> = {}) => rigPlan(rig, extra);
const go = (p = plan(), stores = [store]) => run(p, clock, { providers: { issuer, stores }, wait: false });
const at = (ms: number) => new Date(clock.now().getTime() + ms);
/** The key consumers use now, 40 days old. */
const existingKey = () => servedKey(rig, new Date(clock.now().getTime() - 40 * DAY));

/** A target that cannot be read back (GitHub Actions secrets): it vouches only for what it recorded writing. */
class WriteOnlyStore extends FakeStore {
  readonly writeOnly = {
    reason: 'never returns a value',
    written: async (): Promise<Written | undefined> => (this.current ? { keyId: this.current.keyId, fingerprint: fingerprint(this.current.secret) } : undefined),
  };
  readonly singleValue = true;
  override async readBack() {
    return undefined;
  }
}

describe('last-used: the wait never runs past maxWait', () => {
  it('a key used again late in the wait: the run wakes at maxWait and holds then, not when the key would be quiet', async () => {
    const old = existingKey();
    const rule = plan({ lastUsed: { quietFor: 30 * MIN, maxWait: 60 * MIN } });
    await go(rule); // drain
    clock.advance(15 * MIN);
    const start = clock.now().getTime();
    issuer.lastUse.set(old, new Date(start - 10 * MIN));
    expect((await go(rule)).outcome).toEqual({ status: 'waiting', until: new Date(start + 20 * MIN) }); // gives up at start + 60 min
    clock.advance(40 * MIN);
    issuer.lastUse.set(old, clock.now()); // used again: quiet only at start + 70 min
    expect((await go(rule)).outcome).toEqual({ status: 'waiting', until: new Date(start + 60 * MIN) });
    clock.advance(20 * MIN);
    expect((await go(rule)).outcome).toEqual({ status: 'held', code: 'old-key-in-use' });
    expect(issuer.keys.find((k) => k.id === old)?.status).toBe('active');
  });
});

describe('publish: readable targets first', () => {
  it('a write-only target listed first: a run cut short there has the new key on the readable one, and the resume reads it back instead of making another', async () => {
    existingKey();
    const writeOnly = new WriteOnlyStore('write-only target');
    const stores = [writeOnly, store];
    const twoTargets = plan({ publish: [{ type: 'file', path: 'w.json' }, { type: 'file', path: 'r.json' }] });
    writeOnly.failPublish = true; // the run is cut short at the write-only target
    expect((await go(twoTargets, stores)).outcome.status).toBe('failed');
    expect(store.calls).toEqual(['publish FAKE2']); // the readable target came first

    writeOnly.failPublish = false;
    const resumed = await go(twoTargets, stores);
    expect(resumed.outcome.status).toBe('waiting');
    expect(issuer.calls).toEqual(['create FAKE2']); // no second key: the new one was read back on resume
    expect([store.current?.keyId, writeOnly.current?.keyId]).toEqual(['FAKE2', 'FAKE2']);
  });
});

describe('deactivate: a deactivation cut short before its issuer call', () => {
  it('is finished on resume (the key still active, every target on the new key), not sent back to verify', async () => {
    const old = existingKey();
    await go(); // create, publish, verify; waits out the drain
    clock.advance(15 * MIN);
    const deactivate = issuer.deactivate.bind(issuer);
    issuer.deactivate = async () => {
      throw new Error('connection reset');
    };
    expect((await go()).outcome.status).toBe('failed');
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ phase: 'deactivate', stage: 'acting' });
    expect(issuer.keys.find((k) => k.id === old)?.status).toBe('active');

    issuer.deactivate = deactivate;
    const resumed = await go();
    expect(resumed.outcome).toEqual({ status: 'waiting', until: at(7 * DAY) }); // the soak, not another drain
    expect(issuer.keys.find((k) => k.id === old)?.status).toBe('inactive');
    // Not sent back to verify: no note of a target that lost the new key, no second verify in the audit log.
    expect(resumed.events).not.toContainEqual(expect.objectContaining({ type: 'note', message: expect.stringContaining('no longer serves') }));
    expect(readAudit(stateDirOf(plan())).map((r) => `${r.phase} ${r.action}`)).toEqual([
      'create create-key', 'publish publish', 'verify verify', 'deactivate failed', 'deactivate deactivate-key', 'deactivate retire-from-store',
    ]);
    expect(store.calls.filter((c) => c.startsWith('publish'))).toEqual(['publish FAKE2']);
  });
});

describe('verify: a target that lost the new key gets it again, with what a store writes beside it', () => {
  it('the plan, the rotation id and the time go with the publish again, as with the first', async () => {
    class Labelling extends FakeStore {
      contexts: PublishContext[] = [];
      override async publish(c: Credential, context?: PublishContext) {
        if (context) this.contexts.push(context);
        await super.publish(c);
      }
    }
    const labelled = new Labelling('labelled target');
    const stores = [store, labelled];
    const twoTargets = plan({ publish: [{ type: 'file', path: 'a.json' }, { type: 'file', path: 'b.json' }] });
    const old = existingKey();
    await go(twoTargets, stores); // published, verified, waiting in drain
    labelled.current = { keyId: old, secret: issuer.keys.find((k) => k.id === old)!.secret }; // restored from an old backup
    clock.advance(15 * MIN);
    expect((await go(twoTargets, stores)).outcome).toEqual({ status: 'held', code: 'target-lost' }); // back to verify
    clock.advance(MIN);
    await go(twoTargets, stores);
    const { rotationId } = readState(stateDirOf(twoTargets), 'api')!;
    expect(labelled.calls.filter((c) => c.startsWith('publish'))).toEqual(['publish FAKE2', 'publish FAKE2']);
    expect(labelled.contexts[1]).toEqual({ plan: 'api', rotationId, rotatedAt: clock.now() });
  });
});
