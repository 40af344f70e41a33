// A revoke ends the sessions the leaked key opened, where the issuer can (a database login): right after
// the deactivate, before the replacement; a refusal leaves the key revoked, ends the command with exit 4
// and a hint, and the same revoke run again ends them. A planned rotation never ends a session.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { exitCodeOf } from '../../src/engine/outcome.js';
import { PHASES } from '../../src/engine/phases/table.js';
import { revokeKey } from '../../src/engine/revoke.js';
import type { RunEvent } from '../../src/engine/events.js';
import { run, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { readAudit } from '../helpers/inspect.js';
import { fakeRig, rigPlan, servedKey, type Rig } from '../helpers/rig.js';

let rig: Rig;
beforeEach(() => (rig = fakeRig()));
afterEach(() => rig.ws.cleanup());

const providers = () => ({ issuer: rig.issuer, stores: [rig.store] });
const refused = (keyId: string) => new KeyrotError('db-sessions-not-ended', { provider: 'fake db', keyId, login: 'app_blue', user: 'keyrot', reason: 'permission denied', grant: 'GRANT pg_signal_backend TO keyrot' });

/** `keyrot revoke --yes --key <keyId>`, in process. */
async function revoke(keyId: string) {
  const events: RunEvent[] = [];
  const options = sessionOptions(rig.clock, events, { wait: false, providers: providers() });
  const outcome = await revokeKey({ plan: rigPlan(rig), keyId, delete: false, locations: [], count: 1, consent: async () => 'yes', withYes: { command: 'keyrot revoke --yes', piped: false } }, options);
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
