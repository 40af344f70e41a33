// Issue 12, defects 3 and 10: a target that serves another key at verify is healed, not stuck on; and the
// audit log records what a resumed run found already done, and never a change that did not happen.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import type { Credential, RetireResult } from '../../src/providers/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeIssuer, FakeStore } from '../helpers/fakes.js';
import { planObject, run, stateDirOf } from '../helpers/engine.js';
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
