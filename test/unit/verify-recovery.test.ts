// Issue 12, defects 3 and 10: a target that serves another key at verify is healed, not stuck on; and the
// audit log records what a resumed run found already done, and never a change that did not happen.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../../src/engine/operations/decide.js';
import { KeyrotError } from '../../src/errors.js';
import type { Credential, RetireResult } from '../../src/providers/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeIssuer, FakeStore } from '../helpers/fakes.js';
import { planObject, run, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

/** A store whose value is replaced behind keyrot's back right after it publishes (a restored backup, another writer). */
class OverwrittenStore extends FakeStore {
  overwriteWith: Credential | undefined;
  times = 0;
  failReadBack = false;
  override async publish(c: Credential) {
    await super.publish(c);
    if (this.times-- > 0 && this.overwriteWith) this.current = { ...this.overwriteWith };
  }
  override async readBack() {
    if (this.failReadBack) throw new KeyrotError('provider-failed', { provider: this.label, operation: 'readBack', reason: 'connection reset' });
    return super.readBack();
  }
}

/** A store that says, as a real one does when the version is already gone, that a retire found nothing. */
class AlreadyRetiredStore extends FakeStore {
  override async onDelete(id: string): Promise<RetireResult> {
    await super.onDelete(id);
    return 'unchanged';
  }
}

let ws: Workspace;
let clock: FakeClock;
let issuer: FakeIssuer;
beforeEach(() => {
  ws = workspace();
  clock = new FakeClock();
  issuer = new FakeIssuer(() => clock.now());
});
afterEach(() => ws.cleanup());

const plan = () => planObject(ws.dir, { name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }, { type: 'file', path: 'b' }], drain: 0, soak: 0 });
const seedOld = (stores: FakeStore[]) => {
  const id = issuer.seed('active');
  for (const s of stores) s.current = { keyId: id, secret: issuer.keys[0]!.secret };
  return id;
};
const audit = () => readAudit(stateDirOf(plan())).map((r) => `${r.action}:${r.outcome}`);

describe('defect 3: a target serving another key at verify', () => {
  it('gets the new key published again from memory, and the rotation finishes', async () => {
    const a = new FakeStore('a');
    const b = new OverwrittenStore('b');
    const old = seedOld([a, b]);
    b.overwriteWith = { ...b.current! }; // the backup restores the old key right after publish
    b.times = 1;

    const { outcome } = await run(plan(), clock, { providers: { issuer, stores: [a, b] } });

    expect(outcome.status).toBe('done');
    const newKey = issuer.keys.find((k) => k.id !== old)!.id;
    expect([a.current?.keyId, b.current?.keyId]).toEqual([newKey, newKey]);
    expect(readAudit(stateDirOf(plan())).find((r) => r.detail?.includes('again to b'))).toMatchObject({ action: 'publish', outcome: 'ok' });
    expect(issuer.keys.map((k) => k.id)).toEqual([newKey]);
  });

  it('holds with a hint that does what it says while another writer keeps at it, and the re-run finishes', async () => {
    const a = new FakeStore('a');
    const b = new OverwrittenStore('b');
    seedOld([a, b]);
    b.overwriteWith = { keyId: 'OTHER', secret: 'written-by-someone-else' };
    b.times = 2; // the publish and the one publish again

    const held = await run(plan(), clock, { providers: { issuer, stores: [a, b] } });
    expect(held.outcome).toEqual({ status: 'held', code: 'fingerprint-mismatch' });
    const event = held.events.find((e) => e.type === 'failed' || e.type === 'held') as { hint: string };
    expect(event.hint).toContain('keyrot run');
    expect(issuer.keys.every((k) => k.status === 'active')).toBe(true); // the old key untouched

    // The writer stopped: re-running publishes again (as the hint says), and the rotation finishes.
    const again = await run(plan(), clock, { providers: { issuer, stores: [a, b] } });
    expect(again.outcome.status).toBe('done');
    expect(b.current?.keyId).toBe(a.current?.keyId);
  });

  it('rolls forward with a fresh key when no copy of the new one is left and it was never confirmed everywhere', async () => {
    const a = new OverwrittenStore('a');
    const old = seedOld([a]);
    a.overwriteWith = { ...a.current! };
    a.times = 1;
    // A run that dies in verify: its successor has no secret in memory, and the store serves the old key again.
    a.failReadBack = true;
    expect((await run(plan(), clock, { providers: { issuer, stores: [a] } })).outcome.status).toBe('failed');
    const lost = readState(stateDirOf(plan()), 'api')!.newKeyId!;
    expect(a.current?.keyId).toBe(old);
    a.failReadBack = false;

    const { outcome } = await run(plan(), clock, { providers: { issuer, stores: [a] } });

    expect(outcome.status).toBe('done');
    expect(issuer.calls).toContain(`delete ${lost}`);
    expect(issuer.keys.map((k) => k.id)).toEqual([a.current!.keyId]);
    expect(a.current!.keyId).not.toBe(old);
    expect(a.current!.keyId).not.toBe(lost);
    expect(audit()).toContain('delete-new-key:ok');
    expect(issuer.mostKeysSeen).toBeLessThanOrEqual(2);
  });
});

describe('defect 10: the audit log records what happened, and what a resumed run found', () => {
  it('a deactivation done just before a crash is recorded as found on resume', async () => {
    const a = new FakeStore('a');
    seedOld([a]);
    // The issuer deactivates, then the answer is lost (the process died, or the connection dropped).
    const deactivate = issuer.deactivate.bind(issuer);
    issuer.deactivate = async (id) => {
      await deactivate(id);
      issuer.deactivate = deactivate;
      throw new KeyrotError('provider-failed', { provider: 'fake', operation: 'deactivate', reason: 'connection reset' });
    };
    expect((await run(plan(), clock, { providers: { issuer, stores: [a] } })).outcome.status).toBe('failed');
    expect(audit()).not.toContain('deactivate-key:ok');

    expect((await run(plan(), clock, { providers: { issuer, stores: [a] } })).outcome.status).toBe('done');
    const found = readAudit(stateDirOf(plan())).find((r) => r.action === 'deactivate-key');
    expect(found).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('already inactive') });
    expect(audit().filter((x) => x.startsWith('deactivate-key'))).toEqual(['deactivate-key:skipped']);
  });

  it('a delete done just before a crash is recorded as found gone', async () => {
    const a = new FakeStore('a');
    seedOld([a]);
    const del = issuer.delete.bind(issuer);
    let first = true;
    issuer.delete = async (id) => {
      await del(id);
      if (first && issuer.calls.filter((c) => c.startsWith('delete')).length === 1) {
        first = false;
        throw new KeyrotError('provider-failed', { provider: 'fake', operation: 'delete', reason: 'connection reset' });
      }
    };
    expect((await run(plan(), clock, { providers: { issuer, stores: [a] } })).outcome.status).toBe('failed');
    expect((await run(plan(), clock, { providers: { issuer, stores: [a] } })).outcome.status).toBe('done');
    expect(readAudit(stateDirOf(plan())).filter((r) => r.action === 'delete-key')).toEqual([
      expect.objectContaining({ outcome: 'skipped', detail: expect.stringContaining('already gone') }),
    ]);
  });

  it('a store retire that matched nothing is not logged as done', async () => {
    const a = new AlreadyRetiredStore('a');
    seedOld([a]);
    expect((await run(plan(), clock, { providers: { issuer, stores: [a] } })).outcome.status).toBe('done');
    const purge = readAudit(stateDirOf(plan())).filter((r) => r.action === 'purge-from-store');
    expect(purge).toEqual([expect.objectContaining({ outcome: 'skipped', detail: expect.stringContaining('found nothing') })]);
  });
});

describe('defect 3: keyrot abandon --retire-new', () => {
  const abandon = (stores: FakeStore[], retireNew: boolean) =>
    decide(plan(), { decision: 'abandon', retireNew }, { ...sessionOptions(clock, [], { wait: false, providers: { issuer, stores } }), command: 'keyrot abandon' });
  /** Held at verify: another writer keeps its own value in the one target, so no target serves the new key. */
  async function heldAtVerify(): Promise<{ store: OverwrittenStore; old: string; fresh: string }> {
    const store = new OverwrittenStore('b');
    const old = seedOld([store]);
    store.overwriteWith = { keyId: 'OTHER', secret: 'written-by-someone-else' };
    store.times = 2;
    expect((await run(plan(), clock, { providers: { issuer, stores: [store] } })).outcome).toEqual({ status: 'held', code: 'fingerprint-mismatch' });
    return { store, old, fresh: issuer.keys.find((k) => k.id !== old)!.id };
  }

  it('retires the new key of a held rotation, so the next run starts clean instead of holding on two active keys', async () => {
    const { store, old, fresh } = await heldAtVerify();
    const result = await abandon([store], true);
    expect(result.outcome).toContain(`the new key ${fresh} was deleted`);
    expect(issuer.keys.map((k) => `${k.id}:${k.status}`)).toEqual([`${old}:active`]);
    expect(audit()).toEqual(expect.arrayContaining(['delete-new-key:ok', 'abandon:ok']));

    const next = await run(plan(), clock, { providers: { issuer, stores: [store] } });
    expect(next.outcome.status).toBe('done');
    expect(issuer.keys.map((k) => k.id)).toEqual([store.current!.keyId]);
  });

  it('forgets the new key it retired: the abandoned record names no deleted key as its new one', async () => {
    const { store, fresh } = await heldAtVerify();
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ newKeyId: fresh });
    await abandon([store], true);
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ newKeyId: null, newFingerprint: null, published: [] });
  });

  it('after a plain abandon that left two active keys, names --retire-new as the next command, which works', async () => {
    const { store, old } = await heldAtVerify();
    const plain = await abandon([store], false);
    expect(plain.next).toMatch(/^keyrot abandon --retire-new /);
    expect(issuer.keys.filter((k) => k.status === 'active')).toHaveLength(2);
    await abandon([store], true);
    expect(issuer.keys.map((k) => k.id)).toEqual([old]);
  });

  it('refuses while a target serves the new key (its consumers would be cut off), changing nothing', async () => {
    const a = new FakeStore('a');
    const old = seedOld([a]);
    const long = planObject(ws.dir, { name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }, { type: 'file', path: 'b' }], drain: 3_600_000, soak: 0 });
    expect((await run(long, clock, { providers: { issuer, stores: [a] }, wait: false })).outcome.status).toBe('waiting');
    await expect(abandon([a], true)).rejects.toMatchObject({ code: 'retire-new-served', hint: expect.stringContaining('keyrot run') });
    expect(issuer.keys.map((k) => `${k.id}:${k.status}`)).toEqual([`${old}:active`, `${a.current!.keyId}:active`]);
    expect(readState(stateDirOf(plan()), 'api')!.phase).toBe('drain');
  });
});
