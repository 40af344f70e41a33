// A revoke ends the sessions the leaked key opened, where the issuer can (a database login): right after
// the deactivate, before the replacement; a refusal leaves the key revoked, ends the command with exit 4
// and a hint, and the same revoke run again ends them. A planned rotation never ends a session.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { exitCodeOf } from '../../src/engine/outcome.js';
import { PHASES } from '../../src/engine/phases/table.js';
import { revokeKey } from '../../src/engine/revoke.js';
import { endLeakedSessions } from '../../src/engine/revoke-sessions.js';
import { callProvider } from '../../src/engine/providers.js';
import type { RunEvent } from '../../src/engine/events.js';
import { run, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { readAudit } from '../helpers/inspect.js';
import { DAY, fakeRig, rigPlan, servedKey, type Rig } from '../helpers/rig.js';

let rig: Rig;
beforeEach(() => (rig = fakeRig()));
afterEach(() => rig.ws.cleanup());

const providers = () => ({ issuer: rig.issuer, stores: [rig.store] });
const refused = (keyId: string) => new KeyrotError('db-sessions-not-ended', { provider: 'fake db', keyId, login: 'app_blue', user: 'keyrot', reason: 'permission denied', grant: 'GRANT pg_signal_backend TO keyrot' });

/** `keyrot revoke --yes --key <keyId>` (with `--delete` when asked), in process. */
async function revoke(keyId: string, { del = false } = {}) {
  const events: RunEvent[] = [];
  const options = sessionOptions(rig.clock, events, { wait: false, providers: providers() });
  const outcome = await revokeKey({ plan: rigPlan(rig), keyId, delete: del, locations: [], count: 1, consent: async () => 'yes', withYes: { command: 'keyrot revoke --yes', piped: false } }, options);
  return { outcome, events };
}

/** An issuer whose key logins hold `open` sessions; each end() call is logged in the issuer's calls. */
function sessionsOpen(open: number, fail?: (keyId: string) => Error): void {
  rig.issuer.openSessions = {
    explain: 'terminate the leaked login\'s sessions',
    end: async (keyId) => {
      rig.issuer.calls.push(`end sessions ${keyId}`);
      if (fail) throw fail(keyId);
      return { ended: open };
    },
  };
}

describe('revoke ends the leaked key\'s open sessions', () => {
  it('right after the deactivate, before the replacement is created; the count is audited and shown', async () => {
    const leaked = servedKey(rig);
    sessionsOpen(2);
    const { outcome, events } = await revoke(leaked);
    expect(outcome.status).toBe('done');
    expect(rig.issuer.calls).toEqual([`deactivate ${leaked}`, `end sessions ${leaked}`, 'create FAKE2']);
    const record = readAudit(stateDirOf(rigPlan(rig))).find((r) => r.action === 'end-sessions');
    expect(record).toMatchObject({ outcome: 'ok', phase: 'revoke', detail: `ended 2 sessions open as leaked key ${leaked}` });
    expect(events).toContainEqual(expect.objectContaining({ type: 'step', action: 'end-sessions', detail: `ended 2 sessions open as leaked key ${leaked}` }));
  });

  it('`keyrot plan` of the revoke names the call that ends them', () => {
    sessionsOpen(0);
    const calls = PHASES.revoke.calls({ issuer: rig.issuer, stores: [rig.store] } as never);
    expect(calls).toContain('terminate the leaked login\'s sessions');
  });

  it('refused: the key stays revoked and is replaced, exit 4 with the grant and the re-run; the re-run ends them', async () => {
    const leaked = servedKey(rig);
    sessionsOpen(1, refused);
    const first = await revoke(leaked);
    expect(first.outcome).toEqual({ status: 'failed', code: 'db-sessions-not-ended', exitCode: 4 });
    expect(exitCodeOf(first.outcome)).toBe(4);
    expect(rig.issuer.keys.find((k) => k.id === leaked)?.status).toBe('inactive'); // never undone
    expect(rig.store.current?.keyId).toBe('FAKE2');
    const failed = first.events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({ code: 'db-sessions-not-ended', phase: 'revoke' });
    expect(failed?.type === 'failed' && failed.hint).toBe(`as an administrator of the database run \`GRANT pg_signal_backend TO keyrot\`, then \`keyrot revoke --yes --key ${leaked} ${rigPlan(rig).file}\` ends them (the key stays revoked meanwhile)`);
    expect(readAudit(stateDirOf(rigPlan(rig))).find((r) => r.action === 'end-sessions')).toMatchObject({ outcome: 'failed' });

    sessionsOpen(1);
    const again = await revoke(leaked);
    expect(again.outcome.status).toBe('done');
    expect(rig.issuer.calls.filter((c) => c.startsWith('end sessions'))).toEqual([`end sessions ${leaked}`, `end sessions ${leaked}`]);
    expect(again.events).toContainEqual(expect.objectContaining({ type: 'step', action: 'end-sessions', detail: `ended 1 session open as leaked key ${leaked}` }));
  });

  it('any other failure (the server unreachable) is said with the revoke to run again, not `keyrot run`', async () => {
    const leaked = servedKey(rig);
    sessionsOpen(1, () => new Error('ECONNRESET'));
    const { outcome, events } = await revoke(leaked);
    expect(outcome).toEqual({ status: 'failed', code: 'revoke-sessions-failed', exitCode: 4 });
    const failed = events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({ message: `leaked key ${leaked} is revoked, but the sessions it already opened were not ended: fake issuer end sessions failed: ECONNRESET` });
    expect(failed?.type === 'failed' && failed.hint).toContain(`\`keyrot revoke --yes --key ${leaked} ${rigPlan(rig).file}\` ends them`);
    expect(rig.store.current?.keyId).toBe('FAKE2');
  });

  it('sessions the issuer cannot tell from the replacement\'s are left open, counted, with why', async () => {
    const leaked = servedKey(rig);
    rig.issuer.openSessions = { explain: 'kill the old ones', end: async () => ({ ended: 1, leftOpen: { count: 2, why: 'they may be on the new password' } }) };
    const { events } = await revoke(leaked);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step', action: 'end-sessions', detail: `ended 1 session open as leaked key ${leaked}; 2 sessions left open: they may be on the new password` }));
  });

  it('an issuer that cannot tell them apart at all says they were left open, and why', async () => {
    const leaked = servedKey(rig);
    rig.issuer.openSessions = { explain: 'one user holds both passwords' }; // no end()
    const { outcome, events } = await revoke(leaked);
    expect(outcome.status).toBe('done');
    expect(events).toContainEqual(expect.objectContaining({ type: 'step', action: 'end-sessions', detail: `sessions open as leaked ${leaked} left open: one user holds both passwords` }));
  });

  it('a planned rotation never ends a session: it deactivates only once none is left', async () => {
    const old = servedKey(rig);
    sessionsOpen(3);
    rig.issuer.sessions = new Map([[old, 1]]);
    const plan = rigPlan(rig, { drain: 0, lastUsed: { quietFor: 0, maxWait: 3_600_000 } });
    expect((await run(plan, rig.clock, { wait: false, providers: providers() })).outcome.status).toBe('waiting');
    rig.issuer.sessions.set(old, 0);
    expect((await run(plan, rig.clock, { wait: false, providers: providers() })).outcome.status).toBe('waiting'); // soaking
    expect(rig.issuer.keys.find((k) => k.id === old)?.status).toBe('inactive');
    expect(rig.issuer.calls.some((c) => c.startsWith('end sessions'))).toBe(false);
  });
});

describe('the same revoke again ends the sessions it could not end, and only then', () => {
  const SOAK_OVER = 8 * DAY;
  const ended = () => rig.issuer.calls.filter((c) => c.startsWith('end sessions'));
  const endSteps = (events: RunEvent[]) => events.filter((e) => e.type === 'step' && e.action === 'end-sessions');

  it('--delete after the soak deletes the key and ends no session (that is the revoke again, not the delete)', async () => {
    const leaked = servedKey(rig);
    sessionsOpen(1, refused);
    expect((await revoke(leaked)).outcome.status).toBe('failed');
    sessionsOpen(1);
    rig.clock.advance(SOAK_OVER);
    const { outcome, events } = await revoke(leaked, { del: true });
    expect(outcome).toEqual({ status: 'done' });
    expect(rig.issuer.keys.some((k) => k.id === leaked)).toBe(false);
    expect(ended()).toEqual([`end sessions ${leaked}`]); // the first revoke's, refused
    expect(endSteps(events)).toEqual([]);
  });

  it('an issuer that cannot end sessions is not asked again: a re-run does not say once more they were left open', async () => {
    const leaked = servedKey(rig);
    rig.issuer.openSessions = { explain: 'one user holds both passwords' }; // no end()
    expect(endSteps((await revoke(leaked)).events)).toHaveLength(1);
    const again = await revoke(leaked);
    expect(again.outcome).toEqual({ status: 'done' });
    expect(endSteps(again.events)).toEqual([]);
  });

  it('a key already inactive that no revoke recorded: nothing to revoke, but the sessions it opened are ended, audited and shown (exit 0)', async () => {
    servedKey(rig);
    const inactive = rig.issuer.seed('inactive');
    sessionsOpen(1);
    const { outcome, events } = await revoke(inactive);
    expect(outcome).toEqual({ status: 'done' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', message: `nothing to revoke: ${inactive} is already inactive at fake issuer` }));
    expect(ended()).toEqual([`end sessions ${inactive}`]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step', action: 'end-sessions', detail: `ended 1 session open as leaked key ${inactive}` }));
    expect(readAudit(stateDirOf(rigPlan(rig))).find((r) => r.action === 'end-sessions')).toMatchObject({ outcome: 'ok', phase: 'revoke', detail: `ended 1 session open as leaked key ${inactive}` });
    expect(rig.issuer.calls.filter((c) => !c.startsWith('end sessions'))).toEqual([]); // nothing created, nothing deactivated
  });

  it('at an issuer where one login holds every key (Redis), they cannot be told apart: left open, and said plainly (a warning, audited)', async () => {
    servedKey(rig);
    const inactive = rig.issuer.seed('inactive');
    sessionsOpen(1);
    Object.assign(rig.issuer.openSessions!, { sharedLogin: 'one user holds every password' });
    const { outcome, events } = await revoke(inactive);
    expect(outcome).toEqual({ status: 'done' });
    expect(ended()).toEqual([]);
    const said = `sessions open as leaked ${inactive} (inactive already) left open: keyrot cannot tell them from the current key's: one user holds every password`;
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', message: said }));
    expect(readAudit(stateDirOf(rigPlan(rig))).find((r) => r.action === 'end-sessions')).toMatchObject({ outcome: 'skipped', detail: said });
  });

  it('ending them fails: said with the way to end them, exit 4; nothing else changes', async () => {
    servedKey(rig);
    const inactive = rig.issuer.seed('inactive');
    sessionsOpen(1, refused);
    const { outcome } = await revoke(inactive);
    expect(outcome).toMatchObject({ status: 'failed', code: 'db-sessions-not-ended' });
    expect(exitCodeOf(outcome)).toBe(4);
  });

  it('while the revoke of one key soaks, another key already inactive is nothing to revoke: its sessions are ended too', async () => {
    const leaked = servedKey(rig);
    sessionsOpen(1);
    await revoke(leaked);
    const other = rig.issuer.seed('inactive');
    const { outcome } = await revoke(other);
    expect(outcome).toEqual({ status: 'done' });
    expect(ended()).toEqual([`end sessions ${leaked}`, `end sessions ${other}`]);
  });

  it('while the revoke of one key soaks, at an issuer where one login holds every key, another key already inactive is no revoke of keyrot\'s: its sessions are said to be left open', async () => {
    const leaked = servedKey(rig);
    sessionsOpen(1);
    Object.assign(rig.issuer.openSessions!, { sharedLogin: 'one user holds every password' });
    await revoke(leaked);
    const other = rig.issuer.seed('inactive');
    const { outcome, events } = await revoke(other);
    expect(outcome).toEqual({ status: 'done' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', message: `sessions open as leaked ${other} (inactive already) left open: keyrot cannot tell them from the current key's: one user holds every password` }));
  });

  it('after a planned rotation, at an issuer that still lists its deleted old key as inactive and one login holds every key: that key is no revoke of keyrot\'s, its sessions are said to be left open', async () => {
    const old = servedKey(rig);
    rig.issuer.delete = async (id) => { rig.issuer.calls.push(`delete ${id}`); }; // the login stays listed, inactive
    expect((await run(rigPlan(rig), rig.clock, { providers: providers() })).outcome).toEqual({ status: 'done' });
    expect(rig.issuer.calls).toContain(`delete ${old}`);
    sessionsOpen(1);
    Object.assign(rig.issuer.openSessions!, { sharedLogin: 'one user holds every password' });
    const { outcome, events } = await revoke(old);
    expect(outcome).toEqual({ status: 'done' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', message: `sessions open as leaked ${old} (inactive already) left open: keyrot cannot tell them from the current key's: one user holds every password` }));
  });

  it('after --delete finished it, at an issuer that still lists the deleted login as inactive: the re-run ends the sessions (exit 0), or says again why not (exit 4)', async () => {
    const leaked = servedKey(rig);
    rig.issuer.delete = async (id) => { rig.issuer.calls.push(`delete ${id}`); }; // the login stays listed, inactive
    sessionsOpen(1, refused);
    await revoke(leaked);
    rig.clock.advance(SOAK_OVER);
    expect((await revoke(leaked, { del: true })).outcome).toEqual({ status: 'done' });
    expect(rig.issuer.calls).toContain(`delete ${leaked}`);

    const still = await revoke(leaked);
    expect(still.outcome).toEqual({ status: 'failed', code: 'db-sessions-not-ended', exitCode: 4 });
    sessionsOpen(1);
    const { outcome, events } = await revoke(leaked);
    expect(outcome).toEqual({ status: 'done' });
    expect(ended()).toEqual([`end sessions ${leaked}`, `end sessions ${leaked}`, `end sessions ${leaked}`]);
    expect(endSteps(events)).toEqual([expect.objectContaining({ detail: `ended 1 session open as leaked key ${leaked}` })]);
  });

  it('a re-run that finishes the revoke (its delete approved earlier) but cannot end the sessions exits 4, not 0', async () => {
    const leaked = servedKey(rig);
    sessionsOpen(1, refused);
    await revoke(leaked);
    expect((await revoke(leaked, { del: true })).outcome.status).toBe('waiting'); // approved, held for the soak
    rig.clock.advance(SOAK_OVER);
    const { outcome } = await revoke(leaked);
    expect(rig.issuer.keys.some((k) => k.id === leaked)).toBe(false); // the revoke finished
    expect(outcome).toEqual({ status: 'failed', code: 'db-sessions-not-ended', exitCode: 4 });
  });

  it('a re-run whose replacement is then held keeps that hold, not the sessions\' error', async () => {
    const leaked = servedKey(rig);
    sessionsOpen(1, refused);
    rig.issuer.rejectVerify = true;
    await revoke(leaked);
    const { outcome } = await revoke(leaked);
    expect(ended()).toEqual([`end sessions ${leaked}`, `end sessions ${leaked}`]);
    expect(outcome).toMatchObject({ status: 'held', code: 'verify-failed' }); // held for the replacement, not exit 4 for the sessions
  });
});

describe('what is reported as sessions not ended', () => {
  it('only a failure of the issuer\'s call: an audit log that cannot be written after they were ended is that error, not "not ended"', async () => {
    const diskFull = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const ctx = {
      issuer: { label: 'fake db', openSessions: { explain: 'kill them', end: async () => ({ ended: 2 }) } },
      call: callProvider,
      record: async () => { throw diskFull; },
      audit: async () => undefined,
      emit: () => undefined,
      plan: { name: 'api' },
      planArg: 'api.yaml',
    };
    await expect(endLeakedSessions(ctx as never, 'FAKE1')).rejects.toBe(diskFull);
    // The same for keyrot's own errors after the call (the state folder unwritable, the lock lost).
    const lockLost = new KeyrotError('lock-lost', { plan: 'api', reason: 'taken over' });
    await expect(endLeakedSessions({ ...ctx, record: async () => { throw lockLost; } } as never, 'FAKE1')).rejects.toBe(lockLost);
  });
});
