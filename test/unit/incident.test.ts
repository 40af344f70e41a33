// The on-call paths: revoke a leaked key, roll back a rotation, approve a delete, abandon, and the
// health check that rolls back by itself.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rollBack } from '../../src/engine/runner.js';
import type { RetireResult } from '../../src/providers/types.js';
import { FakeIssuer, FakeStore } from '../helpers/fakes.js';
import { status as statusOf } from '../../src/engine/operations/status.js';
import { decide, planObject, revoke, run, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { fakeRig, type Rig } from '../helpers/rig.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
let { ws, clock, issuer, store } = {} as Rig;
beforeEach(() => ({ ws, clock, issuer, store } = fakeRig()));
afterEach(() => ws.cleanup());

const plan = (extra: Record<string, unknown> = {}) =>
  planObject(ws.dir, { name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }], delete: { requireApproval: false }, ...extra });
const providers = () => ({ issuer, stores: [store] });
const status = (id: string) => issuer.keys.find((k) => k.id === id)?.status ?? 'deleted';

function existingKey(): string {
  const id = issuer.seed('active');
  store.current = { keyId: id, secret: issuer.keys[0]!.secret };
  return id;
}

describe('revoke', () => {
  it('deactivates the leaked key before creating the replacement, publishes it, and keeps the leaked key until --delete', async () => {
    const leaked = existingKey();
    issuer.lastUse.set(leaked, new Date(clock.now().getTime() - 3 * MIN));

    const { outcome, events } = await revoke(plan(), clock, leaked, { providers: providers() });

    expect(outcome.status).toBe('waiting'); // in the soak: the delete is a later, explicit step
    expect(issuer.calls).toEqual([`deactivate ${leaked}`, 'create FAKE2']);
    expect(store.current?.keyId).toBe('FAKE2');
    expect(store.served.has(leaked)).toBe(false);
    expect(status(leaked)).toBe('inactive');
    const revoked = events.find((e) => e.type === 'step' && e.action === 'revoke-key');
    expect(revoked).toMatchObject({ detail: `deactivated leaked key ${leaked}` });
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', message: expect.stringMatching(new RegExp(`${leaked} was last used: .* by sts in us-east-1`)) }));
    const actions = readAudit(stateDirOf(plan())).map((r) => r.action);
    // Revoke first: the key is off and no store serves it before anything else is asked or created.
    expect(actions.slice(0, 4)).toEqual(['revoke-key', 'retire-from-store', 'purge-from-store', 'last-used']);
    expect(actions.indexOf('revoke-key')).toBeLessThan(actions.indexOf('create-key'));
    // No overlap window and no last-used wait: straight from verify to deactivate.
    expect(events.filter((e) => e.type === 'phase').map((e) => e.type === 'phase' && e.phase)).toEqual(['revoke', 'create', 'publish', 'verify', 'deactivate', 'soak']);

    clock.advance(8 * DAY);
    const later = await run(plan(), clock, { providers: providers() });
    expect(later.outcome).toEqual({ status: 'held', code: 'approval-required' });
    expect(status(leaked)).toBe('inactive');

    await decide(plan(), clock, async (ctx) => {
      ctx.state.approvedBy = 'oncall@host';
      await ctx.save();
    }, { providers: providers() });
    expect((await run(plan(), clock, { providers: providers() })).outcome.status).toBe('done');
    expect(status(leaked)).toBe('deleted');
  });

  it('deletes on request even when the revoked key was tried after the revocation, and says so', async () => {
    const leaked = existingKey();
    await revoke(plan(), clock, leaked, { providers: providers() });
    clock.advance(8 * DAY);
    issuer.lastUse.set(leaked, new Date(clock.now().getTime() - DAY)); // someone still tries the leaked key
    await decide(plan(), clock, async (ctx) => {
      ctx.state.approvedBy = 'oncall@host';
      await ctx.save();
    }, { providers: providers() });
    const { outcome, events } = await run(plan(), clock, { providers: providers() });
    expect(outcome.status).toBe('done');
    expect(status(leaked)).toBe('deleted');
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'delete', message: expect.stringContaining('tried after it was revoked') }));
  });

  it('at the key limit, the revoked key itself makes room for its replacement; no store keeps a copy of it', async () => {
    const leaked = existingKey();
    const spare = issuer.seed('inactive'); // the key limit: no room for a replacement
    const { outcome } = await revoke(plan(), clock, leaked, { providers: providers() });
    expect(outcome.status).toBe('waiting'); // replaced, in the soak
    expect(status(leaked)).toBe('deleted'); // deleted to make room: a revoked key never comes back
    expect(status(spare)).toBe('inactive'); // not keyrot's to delete without deleteInactiveKey
    expect(store.served.has(leaked)).toBe(false);
    expect(store.calls.slice(0, 2)).toEqual([`onDeactivate ${leaked}`, `onDelete ${leaked}`]);
    expect(store.current?.keyId).not.toBe(leaked);
  });

  it('at the key limit, once the soak is over, the next run finishes that revoke: no approval or question for the key it deleted already', async () => {
    const leaked = existingKey();
    const spare = issuer.seed('inactive');
    await revoke(plan(), clock, leaked, { providers: providers() });
    clock.advance(8 * DAY);
    // confirm: false answers no: a question for the gone key would hold the run (delete-declined).
    const { outcome, events } = await run(plan(), clock, { providers: providers(), confirm: false });
    expect(outcome.status).toBe('done');
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'delete', message: `${leaked} was deleted already, to make room for its replacement: no key left to delete` }));
    expect(status(spare)).toBe('inactive');
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ phase: 'done', oldKeyId: leaked });
  });

  it('revokes even when a rotation is held before it created anything', async () => {
    const leaked = existingKey();
    const spare = issuer.seed('inactive');
    expect((await run(plan(), clock, { providers: providers() })).outcome).toEqual({ status: 'held', code: 'key-limit' });
    await issuer.delete(spare); // on-call makes room, then revokes
    const { outcome } = await revoke(plan(), clock, leaked, { providers: providers() });
    expect(outcome.status).toBe('waiting');
    expect(status(leaked)).toBe('inactive');
    expect(store.current?.keyId).not.toBe(leaked);
  });

  it('held before it created the replacement (a target it may not write), run again once that is fixed: goes on to replace the key', async () => {
    const leaked = existingKey();
    store.managed = false;
    expect((await revoke(plan(), clock, leaked, { providers: providers() })).outcome).toEqual({ status: 'held', code: 'store-unmanaged' });
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ mode: 'revoke', phase: 'create', keysBeforeCreate: null });
    expect(status(leaked)).toBe('inactive');

    store.managed = true;
    const again = await revoke(plan(), clock, leaked, { providers: providers() });
    expect(again.outcome.status).toBe('waiting'); // replaced, in the soak: not "already inactive"
    expect(issuer.calls).toEqual([`deactivate ${leaked}`, 'create FAKE2']);
    expect(store.current?.keyId).toBe('FAKE2');
  });

  it('takes over a rotation in flight whose old key leaked, skipping the rest of its overlap', async () => {
    const leaked = existingKey();
    expect((await run(plan(), clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting'); // in drain
    const { outcome, events } = await revoke(plan(), clock, leaked, { providers: providers() });
    expect(outcome.status).toBe('waiting');
    expect(status(leaked)).toBe('inactive');
    expect(issuer.calls.filter((c) => c.startsWith('create'))).toEqual(['create FAKE2']); // the new key is kept
    expect(events.filter((e) => e.type === 'phase').map((e) => e.type === 'phase' && e.phase)).toEqual(['revoke', 'deactivate', 'soak']);
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ mode: 'revoke', phase: 'soak' });
  });

  it('of one named key, with two active keys at the issuer, deactivates that key and only that one', async () => {
    const leaked = existingKey(); // the older key, served
    const other = issuer.seed('active'); // the newest, made by hand (a second consumer): not keyrot's to touch
    expect(status(other)).toBe('active');

    const { outcome } = await revoke(plan(), clock, leaked, { providers: providers() });

    expect(outcome.status).toBe('waiting'); // replaced, in the soak
    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([`deactivate ${leaked}`]);
    expect(status(other)).toBe('active');
    expect(status(leaked)).not.toBe('active');
    expect(store.served.has(leaked)).toBe(false);
    // Told at revoke and again at deactivate (idempotent): always about the leaked key.
    expect(new Set(store.calls.filter((c) => c.startsWith('onDeactivate')))).toEqual(new Set([`onDeactivate ${leaked}`]));
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ mode: 'revoke', oldKeyId: leaked });
  });

  it('of the newest of two active keys, deactivates it and leaves the older one active', async () => {
    const served = existingKey();
    const leaked = issuer.seed('active');

    await revoke(plan(), clock, leaked, { providers: providers() });

    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([`deactivate ${leaked}`]);
    expect(status(served)).toBe('active');
    expect(status(leaked)).not.toBe('active');
  });

  it('with an issuer that cannot deactivate keys: asks its last use first, then deletes it at once', async () => {
    class Undeactivatable extends FakeIssuer {
      readonly deactivates = false;
      failLastUse = false;
      override async lastUsed(id: string) {
        this.calls.push(`lastUsed ${id}`);
        if (this.failLastUse) throw new Error('ThrottlingException');
        return super.lastUsed(id);
      }
    }
    issuer = new Undeactivatable(() => clock.now());
    const leaked = existingKey();
    issuer.lastUse.set(leaked, new Date(clock.now().getTime() - 3 * MIN));
    const { outcome, events } = await revoke(plan(), clock, leaked, { providers: providers() });
    expect(outcome.status).toBe('waiting');
    expect(issuer.calls.slice(0, 2)).toEqual([`lastUsed ${leaked}`, `delete ${leaked}`]);
    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([]);
    expect(status(leaked)).toBe('deleted');
    expect(events.find((e) => e.type === 'step' && e.action === 'revoke-key')).toMatchObject({ detail: `deleted leaked key ${leaked} at once: fake issuer cannot deactivate keys` });
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'revoke', message: expect.stringMatching(new RegExp(`${leaked} was last used: .* by sts in us-east-1`)) }));
    expect(readState(stateDirOf(plan()), 'api')!.deactivatedAt).toBe(clock.now().toISOString());
  });

  it('with an issuer that cannot deactivate keys and cannot say when it was last used: deletes it all the same', async () => {
    class Undeactivatable extends FakeIssuer {
      readonly deactivates = false;
      override async lastUsed(): Promise<never> {
        throw new Error('ThrottlingException');
      }
    }
    issuer = new Undeactivatable(() => clock.now());
    const leaked = existingKey();
    const { events } = await revoke(plan(), clock, leaked, { providers: providers() });
    expect(status(leaked)).toBe('deleted');
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'revoke', message: `${leaked} was last used: not reported by the issuer` }));
  });

  it('takes over a rotation waiting for the old key to go quiet, and goes straight to deactivate', async () => {
    const leaked = existingKey();
    const quiet = plan({ lastUsed: { quietFor: 30 * MIN, maxWait: 24 * 60 * MIN } });
    await run(quiet, clock, { providers: providers(), wait: false }); // drain
    clock.advance(15 * MIN);
    issuer.lastUse.set(leaked, clock.now()); // busy: waiting in last-used
    expect((await run(quiet, clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting');
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ phase: 'last-used' });
    const { events } = await revoke(quiet, clock, leaked, { providers: providers() });
    expect(events.filter((e) => e.type === 'phase').map((e) => e.type === 'phase' && e.phase)).toEqual(['revoke', 'deactivate', 'soak']);
    expect(status(leaked)).toBe('inactive');
  });

  it('takes over a rotation in its soak and goes back to the soak it stood in, its deadline kept', async () => {
    const leaked = existingKey();
    await run(plan(), clock, { providers: providers(), wait: false }); // drain
    clock.advance(15 * MIN);
    expect((await run(plan(), clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting');
    const before = readState(stateDirOf(plan()), 'api') as { phase: string; deadlines: { soak: string } };
    expect(before.phase).toBe('soak');
    clock.advance(MIN);
    const { outcome, events } = await revoke(plan(), clock, leaked, { providers: providers() });
    expect(outcome.status).toBe('waiting');
    expect(events.filter((e) => e.type === 'phase').map((e) => e.type === 'phase' && e.phase)).toEqual(['revoke']); // no deactivate again: the soak is not restarted
    expect(readState(stateDirOf(plan()), 'api')).toMatchObject({ mode: 'revoke', phase: 'soak', deadlines: { soak: before.deadlines.soak } });
  });

  it('refuses to revoke the new key of a rotation in flight, naming the way out', async () => {
    existingKey();
    await run(plan(), clock, { providers: providers(), wait: false });
    const err = await revoke(plan(), clock, 'FAKE2', { providers: providers() }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'revoke-new-key', hint: expect.stringContaining('keyrot abandon api') });
  });
});

describe('revoke: the time the leaked key stopped working is the revoke\'s', () => {
  class Undeactivatable extends FakeIssuer {
    readonly deactivates = false;
  }

  it.each([['deactivates it', false], ['cannot deactivate keys (deletes it at once)', true]])(
    'a revoke held before its replacement is published, finished an hour later: deactivated at the revoke, not at the finish (the issuer %s)',
    async (_, deletes) => {
      if (deletes) issuer = new Undeactivatable(() => clock.now());
      const leaked = existingKey();
      store.managed = false; // the target holds a secret keyrot does not manage: the revoke holds at publish
      const revokedAt = clock.now().toISOString();
      expect((await revoke(plan(), clock, leaked, { providers: providers() })).outcome).toEqual({ status: 'held', code: 'store-unmanaged' });
      expect(status(leaked)).toBe(deletes ? 'deleted' : 'inactive');

      clock.advance(60 * MIN);
      issuer.lastUse.set(leaked, new Date(clock.now().getTime() - 30 * MIN)); // tried after the revoke: likely the attacker
      store.managed = true; // on-call sorted the target out
      expect((await run(plan(), clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting');
      expect(readState(stateDirOf(plan()), 'api')!.deactivatedAt).toBe(revokedAt);
      if (deletes) return;

      clock.advance(8 * DAY);
      await decide(plan(), clock, async (ctx) => {
        ctx.state.approvedBy = 'oncall@host';
        await ctx.save();
      }, { providers: providers() });
      const { events } = await run(plan(), clock, { providers: providers() });
      expect(status(leaked)).toBe('deleted');
      expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'delete', message: expect.stringContaining('tried after it was revoked') }));
    },
  );
});

describe('rollback', () => {
  async function inSoak(extra: Record<string, unknown> = {}) {
    const old = existingKey();
    await run(plan(extra), clock, { providers: providers(), wait: false });
    clock.advance(15 * MIN);
    expect((await run(plan(extra), clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting');
    expect(status(old)).toBe('inactive');
    return old;
  }

  it('during the soak reactivates the old key, serves it again, and holds until resumed', async () => {
    const old = await inSoak();
    await decide(plan(), clock, (ctx) => rollBack(ctx, 'by hand'), { providers: providers() });
    expect(status(old)).toBe('active');
    expect(store.served.has(old)).toBe(true);
    // keyrot status says so at once (it said "deactivate on the next run" until a run met the hold).
    const shown = await statusOf([plan()], {}, { ...sessionOptions(clock, [], { providers: providers() }), clock });
    expect(shown.plans[0]!.next).toMatch(/^keyrot run --resume-after-rollback \S+\.yaml$/);
    expect(shown.rotations[0]!.next).toMatch(/^the rotation of api was rolled back \(by hand\) and is held; `keyrot run --resume-after-rollback \S+\.yaml` to deactivate the old key again/);

    const held = await run(plan(), clock, { providers: providers() });
    expect(held.outcome).toEqual({ status: 'held', code: 'rolled-back' });

    const resumed = await run(plan(), clock, { providers: providers(), resumeAfterRollback: true });
    expect(resumed.outcome.status).toBe('done');
    expect(status(old)).toBe('deleted');
    expect(issuer.calls).toEqual(['create FAKE2', `deactivate ${old}`, `reactivate ${old}`, `deactivate ${old}`, `delete ${old}`]);
  });

  it('with a single-value target (GitHub Actions): the old key is published there again from the target that kept it, and its onReactivate is not called', async () => {
    class Keeping extends FakeStore {
      async readRetired(keyId: string) {
        const key = issuer.keys.find((k) => k.id === keyId);
        return key && { keyId, secret: key.secret };
      }
    }
    class SingleValue extends FakeStore {
      readonly singleValue = true;
      override async onReactivate(id: string): Promise<RetireResult> {
        this.calls.push(`onReactivate ${id}`);
        return 'unchanged';
      }
    }
    store = new Keeping();
    const single = new SingleValue('single-value target');
    const two = plan({ publish: [{ type: 'file', path: 'a.json' }, { type: 'file', path: 'b.json' }] });
    const both = { providers: { issuer, stores: [store, single] }, wait: false };
    const old = existingKey();
    await run(two, clock, both);
    clock.advance(15 * MIN);
    expect((await run(two, clock, both)).outcome.status).toBe('waiting'); // in the soak
    await decide(two, clock, (ctx) => rollBack(ctx, 'by hand'), both);
    expect([store.current?.keyId, single.current?.keyId]).toEqual(['FAKE2', old]);
    expect(single.calls.filter((c) => !c.startsWith('onDeactivate'))).toEqual(['publish FAKE2', `publish ${old}`]);
    const restores = readAudit(stateDirOf(two)).filter((r) => r.action === 'restore-to-store').map((r) => `${r.outcome}: ${r.detail}`);
    expect(restores).toEqual([`ok: fake store serves ${old} again`, `ok: single-value target serves ${old} again (published from fake store)`]);
  });

  it('is refused before the old key was deactivated, and for a revoked key', async () => {
    const leaked = existingKey();
    await run(plan(), clock, { providers: providers(), wait: false }); // drain
    await expect(decide(plan(), clock, (ctx) => rollBack(ctx, 'x'), { providers: providers() })).rejects.toMatchObject({ code: 'nothing-to-roll-back' });
    await revoke(plan(), clock, leaked, { providers: providers() });
    await expect(decide(plan(), clock, (ctx) => rollBack(ctx, 'x'), { providers: providers() })).rejects.toMatchObject({
      code: 'nothing-to-roll-back', message: expect.stringContaining('revoked'),
    });
  });
});

describe('health checks during the soak', () => {
  let healthy = true;
  let server: http.Server;
  let url: string;
  beforeEach(async () => {
    healthy = true;
    server = http.createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const checked = () => plan({ healthCheck: { type: 'http', url, interval: 5 * MIN, timeout: 2000 } });

  it('probe at each interval, and let the rotation finish while healthy', async () => {
    const old = existingKey();
    const { outcome } = await run(checked(), clock, { providers: providers() });
    expect(outcome.status).toBe('done');
    expect(status(old)).toBe('deleted');
  });

  it('a failure after deactivation reactivates the old key by itself and holds with the evidence', async () => {
    const old = existingKey();
    await run(checked(), clock, { providers: providers(), wait: false });
    clock.advance(15 * MIN);
    await run(checked(), clock, { providers: providers(), wait: false }); // deactivated, soaking
    expect(status(old)).toBe('inactive');

    healthy = false;
    clock.advance(5 * MIN);
    const { outcome, events } = await run(checked(), clock, { providers: providers(), wait: false });
    expect(outcome).toEqual({ status: 'held', code: 'health-check-failed' });
    expect(status(old)).toBe('active');
    expect(store.served.has(old)).toBe(true);
    expect(events.find((e) => e.type === 'held')).toMatchObject({ evidence: [expect.stringContaining('answered 503')] });
    expect(readAudit(stateDirOf(plan())).map((r) => r.action)).toEqual(expect.arrayContaining(['reactivate-key', 'restore-to-store', 'held']));
  });

  it('a probe interval longer than what is left of the soak: the soak still ends at its deadline', async () => {
    existingKey();
    const sparse = () => plan({ soak: 60 * MIN, healthCheck: { type: 'http', url, interval: 24 * 60 * MIN, timeout: 2000 } });
    await run(sparse(), clock, { providers: providers(), wait: false });
    clock.advance(15 * MIN);
    const { outcome } = await run(sparse(), clock, { providers: providers(), wait: false }); // deactivated, soaking
    const soakEnd = readState(stateDirOf(plan()), 'api')!.deadlines.soak!;
    expect(soakEnd).toBe(new Date(clock.now().getTime() + 60 * MIN).toISOString());
    expect(outcome).toEqual({ status: 'waiting', until: new Date(soakEnd) });
  });

  it('a command probe works the same way', async () => {
    const old = existingKey();
    const { outcome } = await run(plan({ healthCheck: { type: 'command', run: 'exit 3', interval: MIN, timeout: 2000 } }), clock, { providers: providers() });
    expect(outcome).toEqual({ status: 'held', code: 'health-check-failed' });
    expect(status(old)).toBe('active');
  });
});

describe('approval and abandon', () => {
  it('delete.requireApproval holds at delete until approved', async () => {
    const old = existingKey();
    const gated = plan({ delete: { requireApproval: true } });
    const held = await run(gated, clock, { providers: providers() });
    expect(held.outcome).toEqual({ status: 'held', code: 'approval-required' });
    expect(status(old)).toBe('inactive');
    // A rotation's delete is approved with `keyrot approve` (a revoke's with `revoke --delete`).
    expect(held.events.find((e) => e.type === 'held')).toMatchObject({ hint: `run \`keyrot approve ${gated.file}\`, then \`keyrot run ${gated.file}\` again` });
    await decide(gated, clock, async (ctx) => {
      ctx.state.approvedBy = 'lead@host';
      await ctx.save();
    }, { providers: providers() });
    expect((await run(gated, clock, { providers: providers() })).outcome.status).toBe('done');
  });
});

describe('notifications from the engine', () => {
  it('tell the hooks each step in order, and a failing hook never stops the rotation', async () => {
    const old = existingKey();
    const heard = `${ws.dir}/heard.txt`;
    const notify = [
      { type: 'command', run: `echo "$KEYROT_OUTCOME $KEYROT_PHASE" >> ${heard}`, timeout: 5000 },
      { type: 'command', run: 'exit 1', timeout: 5000, on: ['published'] },
    ];
    const { outcome, events } = await run(plan({ notify }), clock, { providers: providers() });
    expect(outcome.status).toBe('done');
    expect(status(old)).toBe('deleted');
    expect(ws.read('heard.txt').trim().split('\n')).toEqual([
      'published publish', 'reload drain', 'deactivated deactivate', 'deleted delete', 'done done',
    ]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', message: expect.stringContaining('the rotation carries on') }));
    expect(readAudit(stateDirOf(plan())).filter((r) => r.action === 'notify').map((r) => r.outcome)).toEqual(['failed']);
  });
});
