// The trap after a plain `keyrot abandon` that left both keys active: a run before `--retire-new`
// starts a rotation that holds at the key limit. That hold names the way out, and `--retire-new` still
// retires the key the abandoned rotation made (keyrot's own record of it), never one a target serves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../../src/engine/operations/decide.js';
import { run, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { readAudit, readState } from '../helpers/inspect.js';
import { FakeStore } from '../helpers/fakes.js';
import { fakeRig, rigPlan, type Rig } from '../helpers/rig.js';

let { ws, clock, issuer, store } = {} as Rig;
beforeEach(() => ({ ws, clock, issuer, store } = fakeRig()));
afterEach(() => ws.cleanup());

const plan = () => rigPlan({ ws }, { drain: 3_600_000, soak: 0 });
const providers = () => ({ issuer, stores: [store] });
const keys = () => issuer.keys.map((k) => `${k.id}:${k.status}`);
const abandon = (retireNew: boolean) =>
  decide(plan(), { decision: 'abandon', retireNew }, { ...sessionOptions(clock, [], { wait: false, providers: providers() }), command: 'keyrot abandon' });
const held = (events: Awaited<ReturnType<typeof run>>['events']) => events.find((e) => e.type === 'held');

/** A rotation abandoned plainly in its overlap window: both keys active, the new one served. */
async function abandonedThenRun(): Promise<{ old: string; fresh: string }> {
  const old = issuer.seed('active');
  store.current = { keyId: old, secret: issuer.keys[0]!.secret };
  expect((await run(plan(), clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting');
  const fresh = store.current.keyId;
  expect((await abandon(false)).next).toMatch(/^keyrot abandon --retire-new /);
  return { old, fresh };
}

describe('a run between a plain abandon and `abandon --retire-new`', () => {
  it('with the new key served by no target (the target went back to the old key): the hold names --retire-new, which retires it; the next run rotates', async () => {
    const { old, fresh } = await abandonedThenRun();
    store.current = { keyId: old, secret: issuer.keys[0]!.secret }; // the target restored to the old key
    const stuck = await run(plan(), clock, { providers: providers(), wait: false });
    expect(stuck.outcome).toEqual({ status: 'held', code: 'key-limit' });
    expect(held(stuck.events)).toMatchObject({ hint: expect.stringContaining(`${fresh} is the new key of a rotation abandoned with both keys active: \`keyrot abandon --retire-new `) });

    const retired = await abandon(true);
    expect(retired.outcome).toContain(`the new key ${fresh} left active by abandoned rotation `);
    expect(keys()).toEqual([`${old}:active`]);
    expect(readAudit(stateDirOf(plan())).map((r) => r.action)).toContain('delete-new-key');
    expect(readState(stateDirOf(plan()), 'api')).not.toHaveProperty('abandonedNewKey');

    expect((await run(plan(), clock, { providers: providers(), wait: false })).outcome.status).toBe('waiting'); // a new rotation, past create
    expect(issuer.keys.filter((k) => k.status === 'active').map((k) => k.id)).toEqual([old, store.current.keyId]);
  });

  it('with no target serving either key (several active, none current): the hold names --retire-new for the abandoned one', async () => {
    const { old, fresh } = await abandonedThenRun();
    store.current = undefined; // the target emptied
    const stuck = await run(plan(), clock, { providers: providers(), wait: false });
    expect(stuck.outcome).toEqual({ status: 'held', code: 'active-key-ambiguous' });
    expect(held(stuck.events)).toMatchObject({ hint: expect.stringContaining(`${fresh} is the new key of a rotation abandoned with both keys active, served by no target: \`keyrot abandon --retire-new `) });
    expect(keys()).toEqual([`${old}:active`, `${fresh}:active`]);
    await abandon(true); // the way out the hint names
    expect(keys()).toEqual([`${old}:active`]);
  });

  it('with one target serving each key: the hold does not send the user to --retire-new, which refuses a served key', async () => {
    const { old, fresh } = await abandonedThenRun();
    const other = new FakeStore('other store');
    other.current = { keyId: old, secret: issuer.keys[0]!.secret }; // publish reached the first target only
    const stuck = await run(plan(), clock, { providers: { issuer, stores: [store, other] }, wait: false });
    expect(stuck.outcome).toEqual({ status: 'held', code: 'active-key-ambiguous' });
    expect(held(stuck.events)!.hint).not.toContain('--retire-new');
    expect(held(stuck.events)!.hint).toContain('deactivate the stray key by hand');
    expect(keys()).toEqual([`${old}:active`, `${fresh}:active`]);
  });

  it('the held rotation abandoned too, and another run: --retire-new still finds that key', async () => {
    const { old, fresh } = await abandonedThenRun();
    store.current = { keyId: old, secret: issuer.keys[0]!.secret };
    expect((await run(plan(), clock, { providers: providers(), wait: false })).outcome.status).toBe('held');
    const plain = await abandon(false);
    expect(plain.outcome).toContain(`${fresh}, the new key abandoned rotation `);
    expect(plain.next).toMatch(/^keyrot abandon --retire-new /);
    expect((await run(plan(), clock, { providers: providers(), wait: false })).outcome).toEqual({ status: 'held', code: 'key-limit' });
    await abandon(true);
    expect(keys()).toEqual([`${old}:active`]);
  });

  it('with the new key served (it is the current one): --retire-new refuses and changes nothing; no hint to set deleteInactiveKey, as no key is inactive', async () => {
    const { old, fresh } = await abandonedThenRun();
    const stuck = await run(plan(), clock, { providers: providers(), wait: false });
    expect(stuck.outcome).toEqual({ status: 'held', code: 'key-limit' });
    expect(held(stuck.events)!.hint).not.toContain('deleteInactiveKey');
    expect(held(stuck.events)!.hint).toContain(`for ${old}), deactivated first`);
    await expect(abandon(true)).rejects.toMatchObject({ code: 'retire-new-served', hint: expect.stringContaining('it is the key consumers use now') });
    expect(keys()).toEqual([`${old}:active`, `${fresh}:active`]);
  });
});
