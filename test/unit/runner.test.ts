// The runner's own rules (engine/runner.ts), beyond any one phase: it stops before the next step when
// interrupted or when the lock is gone, holds a permanent step nobody agreed to, finishes a step cut
// short by its resume rule, reports a bug as a bug, and records when a rotation ends.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { runSession } from '../../src/engine/operations/run.js';
import { newRotation } from '../../src/engine/rotation.js';
import { KeyrotError } from '../../src/errors.js';
import { advance, rollBack, type AdvanceOptions } from '../../src/engine/runner.js';
import { rotationContext } from '../../src/engine/session.js';
import { AuditLog } from '../../src/state/file-audit.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { decide, planObject, revoke, run, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { fakeRig, type Rig } from '../helpers/rig.js';

const MIN = 60_000;
let { ws, clock, issuer, store } = {} as Rig;
beforeEach(() => ({ ws, clock, issuer, store } = fakeRig()));
afterEach(() => ws.cleanup());

const plan = (extra: Record<string, unknown> = {}) =>
  planObject(ws.dir, { name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }], ...extra });
const providers = () => ({ issuer, stores: [store] });
const go = (p = plan(), opts: Parameters<typeof run>[2] = {}) => run(p, clock, { providers: providers(), ...opts });
const status = (id: string) => issuer.keys.find((k) => k.id === id)?.status ?? 'deleted';
const saved = () => readState(stateDirOf(plan()), 'api')!;

function existingKey(): string {
  const id = issuer.seed('active');
  store.current = { keyId: id, secret: issuer.keys[0]!.secret };
  return id;
}

/** Advance a new rotation of plan() with the runner's options as given: what a command would do, minus the session. */
async function advanceWith(options: Partial<AdvanceOptions>) {
  const loaded = plan();
  const files = new FileStateStore(stateDirOf(loaded));
  const events: RunEvent[] = [];
  const audited: string[] = [];
  const ctx = rotationContext(loaded, providers(), { ...newRotation('api', clock.now(), 'r1'), version: 0 }, {
    store: files, audit: new AuditLog(path.join(files.location, 'audit.jsonl')), clock, emit: (e) => events.push(e),
  });
  const signal = new AbortController().signal;
  const advancing = {
    signal, confirm: async () => 'yes' as const, lockLost: () => undefined,
    audit: async (action: string, result: string, detail: string) => void audited.push(`${action} ${result}: ${detail}`), ...options,
  };
  let outcome = await advance(ctx, advancing);
  while (outcome.status === 'waiting') {
    await clock.sleepUntil(outcome.until, signal); // a blocking run: the wait's deadline, then on
    outcome = await advance(ctx, advancing);
  }
  return { outcome, events, audited, ctx };
}

describe('the runner stops before the next step', () => {
  it('when interrupted: nothing is created', async () => {
    existingKey();
    const interrupted = new AbortController();
    interrupted.abort();
    const { outcome } = await go(plan(), { signal: interrupted.signal });
    expect(outcome).toEqual({ status: 'interrupted' });
    expect(issuer.calls).toEqual([]);
  });

  it('when its lock was lost: refuses (exit 3) naming why, and touches nothing', async () => {
    existingKey();
    const { outcome, events, ctx } = await advanceWith({ lockLost: () => 'taken over by pid 7 on other-host' });
    expect(outcome).toEqual({ status: 'held', code: 'lock-lost' });
    // The record is the new holder's now: nothing of ours is written into it, not even the steps walked.
    expect(ctx.state.hold).toBeNull();
    expect(readState(stateDirOf(plan()), 'api')).toBeUndefined();
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ code: 'lock-lost', message: expect.stringContaining('taken over by pid 7 on other-host') });
    expect(issuer.calls).toEqual([]);
  });
});

describe('a permanent step nobody agreed to', () => {
  it('holds as unattended (no terminal, no --yes), naming --yes, and deletes nothing', async () => {
    const old = existingKey();
    const events: RunEvent[] = [];
    const outcome = await runSession(plan(), { ...sessionOptions(clock, events, { providers: providers() }), confirm: async () => 'unattended' });
    expect(outcome).toEqual({ status: 'held', code: 'delete-unattended' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ phase: 'delete', code: 'delete-unattended' });
    expect(status(old)).toBe('inactive');
    expect(saved().hold).toMatchObject({ code: 'delete-unattended' });
  });

  it('asks about the old key by id, naming its plan, and only before the permanent step', async () => {
    const old = existingKey();
    const asked: string[] = [];
    await runSession(plan(), { ...sessionOptions(clock, [], { providers: providers() }), confirm: async (q) => (asked.push(q), 'yes') });
    expect(asked).toEqual([`plan api: delete the old key (permanent): ${old}. Go ahead?`]);
  });
});

describe('a step cut short is finished by its resume rule', () => {
  it('a deactivation the issuer made before the crash is found, not made again, and the audit log says so', async () => {
    const old = existingKey();
    await go(plan(), { wait: false }); // waiting in drain
    clock.advance(15 * MIN);
    await issuer.deactivate(old); // the issuer call went through; the process died before recording it
    issuer.calls = [];
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...saved(), phase: 'deactivate', stage: 'acting' }));

    const { events } = await go(plan(), { wait: false });

    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'deactivate', message: 'resuming deactivate: it was interrupted (check)' }));
    expect(readAudit(stateDirOf(plan())).find((r) => r.action === 'deactivate-key')).toMatchObject({ outcome: 'skipped', detail: `found ${old} already inactive` });
    expect(saved()).toMatchObject({ phase: 'soak', stage: 'waiting' });
  });
});

describe('a deactivation cut short before the issuer call', () => {
  async function cutShort() {
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...saved(), phase: 'deactivate', stage: 'acting' }));
    issuer.calls = [];
    return old;
  }

  it('is made on resume: the key is still active, every target still serves the new one', async () => {
    const old = await cutShort();
    await go(plan(), { wait: false });
    expect(issuer.calls).toEqual([`deactivate ${old}`]);
    expect(status(old)).toBe('inactive');
  });

  it('finds the old key gone from the issuer meanwhile: recorded as gone, and on to the soak', async () => {
    const old = await cutShort();
    issuer.keys = issuer.keys.filter((k) => k.id !== old); // deleted by hand while keyrot was down
    const { outcome } = await go(plan(), { wait: false });
    expect(outcome.status).toBe('waiting');
    expect(readAudit(stateDirOf(plan())).find((r) => r.action === 'deactivate-key')).toMatchObject({ outcome: 'skipped', detail: `found ${old} gone from the issuer` });
    expect(saved()).toMatchObject({ phase: 'soak', stage: 'waiting' });
  });

  it('goes back to verify first when a target lost the new key meanwhile: the old key stays active', async () => {
    const old = await cutShort();
    const fresh = { ...store.current! };
    store.current = { keyId: old, secret: issuer.keys.find((k) => k.id === old)!.secret };
    const { events } = await go(plan(), { wait: false });
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', message: `a target no longer serves ${fresh.keyId}; publishing it again before the old key is deactivated` }));
    expect(issuer.calls.filter((c) => c.startsWith('deactivate'))).toEqual([]);
    expect(status(old)).toBe('active');
    expect(saved()).toMatchObject({ phase: 'verify' });
  });
});

describe('a deactivation that fails', () => {
  it('while the key list fails too: not taken for a key gone, the rotation stops before the soak', async () => {
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    issuer.deactivate = async () => {
      issuer.list = async () => { throw new Error('ServiceUnavailable'); };
      throw new Error('Throttling');
    };
    const { outcome } = await go(plan(), { wait: false });
    expect(outcome.status).toBe('failed');
    expect(status(old)).toBe('active');
    expect(saved()).toMatchObject({ phase: 'deactivate', deactivatedAt: null });
    expect(saved().deadlines.soak).toBeUndefined();
  });
});

describe('a bug is reported as a bug', () => {
  it('an unexpected error is "internal" (exit 1), audited, and shown with its stack', async () => {
    existingKey();
    const { outcome, events, audited } = await advanceWith({ confirm: async () => { throw new TypeError('cannot read properties of undefined'); } });
    expect(outcome).toEqual({ status: 'failed', code: 'internal', exitCode: 1 });
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ phase: 'delete', code: 'internal', message: expect.stringMatching(/^TypeError: cannot read properties of undefined\n\s+at /) });
    expect(audited).toEqual(['delete failed: internal error: cannot read properties of undefined']);
  });

  it('a refusal raised inside a phase holds the rotation and saves the hold', async () => {
    const old = existingKey();
    store.failPublish = true;
    await go();
    store.failPublish = false;
    issuer.lastUse.set(issuer.keys.find((k) => k.id !== old)!.id, clock.now()); // the orphan is in use
    expect((await go()).outcome).toEqual({ status: 'held', code: 'orphan-used' });
    expect(saved().hold).toMatchObject({ code: 'orphan-used', message: expect.stringContaining('FAKE2') });
  });
});

describe('the end of a rotation', () => {
  it('records when it was completed, and reports the new key by id and fingerprint', async () => {
    const old = existingKey();
    clock.advance(MIN);
    const { events } = await go();
    const done = saved();
    expect(done).toMatchObject({ phase: 'done', completedAt: clock.now().toISOString() });
    expect(events.at(-1)).toEqual({
      type: 'done', plan: 'api', rotationId: done.rotationId, oldKeyId: old, newKeyId: 'FAKE2', fingerprint: done.newFingerprint,
      startedAt: done.startedAt, completedAt: done.completedAt,
    });
  });

  it('announces each phase with its summary, and each wait with its deadline and reason', async () => {
    existingKey();
    const { outcome, events } = await go(plan(), { wait: false });
    expect(events.filter((e) => e.type === 'phase')).toContainEqual({ type: 'phase', plan: 'api', phase: 'create', summary: 'create the new key (its secret stays in memory)' });
    const until = new Date(clock.now().getTime() + 15 * MIN);
    expect(outcome).toEqual({ status: 'waiting', until });
    expect(events.find((e) => e.type === 'waiting')).toEqual({ type: 'waiting', plan: 'api', phase: 'drain', until: until.toISOString(), reason: 'overlap window' });
  });
});

describe('telling consumers to reload', () => {
  it('happens only once the overlap deadline they count on is on disk', async () => {
    existingKey();
    const notify = [{ type: 'command', run: 'cp .keyrot/state/api.json at-reload.json', timeout: 5000, on: ['reload'] }];
    await go(plan({ notify }), { wait: false });
    const seen = ws.json<{ phase: string; deadlines: Record<string, string> }>('at-reload.json');
    expect(seen.phase).toBe('drain');
    expect(seen.deadlines.drain).toBe(new Date(clock.now().getTime() + 15 * MIN).toISOString());
  });
});

describe('rollback', () => {
  it('is refused for a revoke: a leaked key is never served again', async () => {
    const leaked = existingKey();
    await revoke(plan(), clock, leaked, { providers: providers() });
    const err = await decide(plan(), clock, (ctx) => rollBack(ctx, 'changed my mind'), { providers: providers() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'nothing-to-roll-back', message: expect.stringContaining('revoked (leaked)') });
    expect(status(leaked)).toBe('inactive');
  });

  it('is refused once the old key is gone from the issuer (deleted by hand): too late to bring it back', async () => {
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    await go(plan(), { wait: false }); // deactivated, soaking
    await issuer.delete(old);
    const err = await decide(plan(), clock, (ctx) => rollBack(ctx, 'hook failed'), { providers: providers() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'rollback-too-late' });
  });

  it('of a key someone reactivated by hand already: no second reactivation (nor an audit record of one), the targets serve it again', async () => {
    const old = existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    await go(plan(), { wait: false }); // deactivated, soaking
    await issuer.reactivate(old);
    issuer.calls = [];
    await decide(plan(), clock, (ctx) => rollBack(ctx, 'errors went up'), { providers: providers() });
    expect(issuer.calls).toEqual([]);
    expect(readAudit(stateDirOf(plan())).filter((r) => r.action === 'reactivate-key')).toEqual([]);
    expect(status(old)).toBe('active');
    expect(store.served.has(old)).toBe(true);
  });

  it('is refused at deactivate before its gate passed: the old key was never touched', async () => {
    const old = existingKey();
    await go(plan(), { wait: false }); // in drain
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...saved(), phase: 'deactivate', stage: 'ready' }));
    issuer.calls = [];
    const err = await decide(plan(), clock, (ctx) => rollBack(ctx, 'too early'), { providers: providers() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'nothing-to-roll-back' });
    expect(issuer.calls).toEqual([]);
    expect(status(old)).toBe('active');
  });

  it('of a deactivation cut short after the issuer call: the old key is reactivated', async () => {
    const old = existingKey();
    await go(plan(), { wait: false }); // in drain
    clock.advance(15 * MIN);
    await issuer.deactivate(old); // the issuer call went through; the process died before recording it
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...saved(), phase: 'deactivate', stage: 'acting' }));
    await decide(plan(), clock, (ctx) => rollBack(ctx, 'errors went up'), { providers: providers() });
    expect(status(old)).toBe('active');
    expect(saved()).toMatchObject({ rolledBack: { reason: 'errors went up' } });
  });

  it('is refused before the old key was deactivated', async () => {
    existingKey();
    await go(plan(), { wait: false }); // in drain
    const err = await decide(plan(), clock, (ctx) => rollBack(ctx, 'too early'), { providers: providers() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'nothing-to-roll-back', message: expect.stringContaining('has not been deactivated yet') });
  });
});

describe('a phase found cut short that redoes its step', () => {
  it('runs it again from its start (verify: read back again), and the rotation goes on', async () => {
    existingKey();
    await go(plan(), { wait: false });
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...saved(), phase: 'verify', stage: 'acting' }));
    const { outcome, events } = await go(plan(), { wait: false });
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'verify', message: 'resuming verify: it was interrupted (redo)' }));
    expect(outcome).toMatchObject({ status: 'waiting' });
    expect(saved()).toMatchObject({ phase: 'drain', stage: 'waiting' });
  });
});

describe('a rotation rolled back', () => {
  it('holds at the phase it went back to (deactivate), naming it in the audit log and the held event', async () => {
    existingKey();
    await go(plan(), { wait: false });
    clock.advance(15 * MIN);
    await go(plan(), { wait: false }); // deactivated, soaking
    await decide(plan(), clock, (ctx) => rollBack(ctx, 'errors went up'), { providers: providers() });
    const { outcome, events } = await go(plan(), { wait: false });
    expect(outcome).toEqual({ status: 'held', code: 'rolled-back' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ phase: 'deactivate', code: 'rolled-back' });
    expect(readAudit(stateDirOf(plan())).at(-1)).toMatchObject({ phase: 'deactivate', action: 'held' });
  });
});

describe('how a stop is reported', () => {
  it('Ctrl-C at the question is an interruption (exit 130), not a failure: nothing held, nothing reported failed', async () => {
    existingKey();
    const { outcome, events, ctx } = await advanceWith({ confirm: async () => { throw new KeyrotError('interrupted'); } });
    expect(outcome).toEqual({ status: 'interrupted' });
    expect(ctx.state).toMatchObject({ phase: 'delete', hold: null });
    expect(saved()).toMatchObject({ phase: 'delete', hold: null });
    expect(events.filter((e) => e.type === 'failed' || e.type === 'held')).toEqual([]);
  });

  it('a provider failure (exit 4) holds nothing, so a re-run tries again; its hooks hear "failed", a refusal\'s "held"', async () => {
    const old = existingKey();
    const notify = [
      { type: 'command', run: 'touch told-failed', timeout: 5000, on: ['failed'] },
      { type: 'command', run: 'touch told-held', timeout: 5000, on: ['held'] },
    ];
    store.failPublish = true;
    const { outcome, events } = await go(plan({ notify }));
    expect(outcome).toMatchObject({ status: 'failed', code: 'provider-failed', exitCode: 4 });
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ phase: 'publish', hint: expect.stringContaining(`keyrot run ${plan().file}`) });
    expect(saved()).toMatchObject({ phase: 'publish', hold: null });
    expect([ws.exists('told-failed'), ws.exists('told-held')]).toEqual([true, false]);
    store.failPublish = false;
    issuer.lastUse.set(issuer.keys.find((k) => k.id !== old)!.id, clock.now()); // the orphan is in use: a refusal
    expect((await go(plan({ notify }))).outcome).toEqual({ status: 'held', code: 'orphan-used' });
    expect(ws.exists('told-held')).toBe(true);
  });
});
