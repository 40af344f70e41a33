// keyrot revoke's search for the plan that owns a leaked key, in-process over a folder of generated-key
// plans (real ledgers and state files): keyrot's own records first, then every issuer, skipping and
// naming the plans that cannot be asked; a scanner's report or a piped secret found by fingerprint.
// The same on the built CLI with AWS keys in moto: test/e2e/revoke-search.e2e.test.ts.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { revokeKeys, type RevokeRequest } from '../../src/engine/operations/revoke.js';
import type { LeakSource } from '../../src/engine/revoke-targets.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { issuedLookups, issuedPlans, load, run, sessionOptions } from '../helpers/engine.js';
import { readAudit, readLedger, readStore } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let clock: FakeClock;
let plans: LoadedPlan[];
beforeEach(async () => {
  ws = workspace();
  clock = new FakeClock();
  plans = await issuedPlans(ws, clock, ['alpha', 'bravo', 'charlie']);
});
afterEach(() => ws.cleanup());

const { stateDir, keyOf, statusIn, unaskable } = issuedLookups(() => ws);
/** keyrot's own records lost: only the issuers can say who holds a key. */
const forgetRecords = () => {
  rmSync(path.join(stateDir(), 'audit.jsonl'));
  for (const p of ['alpha', 'bravo', 'charlie']) rmSync(path.join(stateDir(), 'state', `${p}.json`));
};

async function revoke(source: LeakSource, on = plans, opts: { answer?: 'yes' | 'no' | 'unattended'; delete?: boolean } = {}) {
  const events: RunEvent[] = [];
  const asked: string[] = [];
  const options = { ...sessionOptions(clock, events, { wait: false }), confirm: async (q: string) => (asked.push(q), opts.answer ?? 'yes') };
  const request: RevokeRequest = { source, delete: opts.delete ?? false, withYes: { command: 'keyrot revoke --yes --key K plans/', piped: false } };
  const results = await revokeKeys(on, request, options).catch((e: unknown) => e as Error & { code: string; exitCode: number });
  return { results, events, asked };
}
const notes = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'note' || e.type === 'warning' ? [`${e.plan} ${e.type}: ${e.message}`] : []));

describe('revoke --key', () => {
  it('finds the owner in keyrot\'s own records, asks no other plan, and revokes it there only', async () => {
    const leaked = keyOf('bravo').keyId;
    const { results, events, asked } = await revoke({ key: leaked });
    expect(results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(statusIn('bravo', leaked)).toBe('inactive');
    expect(statusIn('alpha', keyOf('alpha').keyId)).toBe('active');
    expect(notes(events)).toContainEqual(`bravo note: found ${leaked} in keyrot's records of plan bravo; not asked: alpha, charlie`);
    expect(asked).toEqual([`revoke ${leaked} of plan bravo now: anything still using it fails until it loads the replacement. Revoke?`]);
  });

  it('asks every issuer when keyrot has no record of the key, skipping and naming a plan it cannot ask', async () => {
    const leaked = keyOf('bravo').keyId;
    forgetRecords();
    unaskable('charlie');
    const { results, events } = await revoke({ key: leaked });
    expect(results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(statusIn('bravo', leaked)).toBe('inactive');
    expect(notes(events).filter((n) => n.includes('could not ask'))).toEqual([expect.stringMatching(/^charlie warning: could not ask plan charlie \(.*charlie\.yaml\): /)]);
    expect(notes(events).join('\n')).not.toContain("keyrot's records");
  });

  it('with no plan holding the key: "no owner" (exit 2) naming the plans asked, or exit 4 naming those it could not ask', async () => {
    const none = await revoke({ key: 'key-0000000000ff' });
    expect(none.results).toMatchObject({ code: 'revoke-no-owner', exitCode: 2, message: expect.stringContaining('alpha, bravo, charlie') });

    unaskable('charlie');
    const notAsked = await revoke({ key: 'key-0000000000ff' });
    expect(notAsked.results).toMatchObject({ code: 'revoke-not-asked', exitCode: 4, message: expect.stringContaining('the plan that could hold it could not be asked') });
    expect((notAsked.results as Error).message + JSON.stringify(notAsked.results)).toContain('charlie.yaml');
  });

  it('refuses a key two plans claim (exit 3), naming both', async () => {
    const shared = keyOf('bravo').keyId;
    forgetRecords();
    ws.write('.keyrot/generated/charlie.json', ws.read('.keyrot/generated/bravo.json'));
    const { results } = await revoke({ key: shared });
    expect(results).toMatchObject({ code: 'revoke-many-owners', exitCode: 3, message: expect.stringMatching(/bravo \(.*bravo\.yaml\), charlie \(.*charlie\.yaml\)/) });
    expect(statusIn('bravo', shared)).toBe('active');
  });

  it('says a key revoked and deleted already was, naming its rotation, instead of "not found"', async () => {
    const leaked = keyOf('alpha').keyId;
    expect((await revoke({ key: leaked })).results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }]);
    ws.write('.keyrot/generated/alpha.json', JSON.stringify({ keys: readLedger(stateDir(), 'alpha').filter((k) => k.id !== leaked) }));
    const state = ws.json<Record<string, unknown>>('.keyrot/state/alpha.json');
    ws.write('.keyrot/state/alpha.json', JSON.stringify({ ...state, phase: 'done', completedAt: clock.now().toISOString() }));
    const { results } = await revoke({ key: leaked });
    expect(results).toMatchObject({ code: 'revoke-finished', message: expect.stringContaining(`${state.rotationId}`) });
    // Only that key: another key nobody holds is still "no owner", not a finished revoke.
    expect((await revoke({ key: 'key-0000000000ff' })).results).toMatchObject({ code: 'revoke-no-owner' });
  });
});

describe('revoke by the secret itself, or a scanner\'s report', () => {
  it('finds a piped secret by its fingerprint, and revokes that key', async () => {
    const leaked = keyOf('charlie');
    forgetRecords();
    const { results } = await revoke({ secret: `${leaked.secret}\n` });
    expect(results).toEqual([{ plan: 'charlie', outcome: { status: 'done' } }]);
    expect(statusIn('charlie', leaked.keyId)).toBe('inactive');
  });

  it('revokes every finding of a gitleaks report it can attribute, asking once, and names the rest', async () => {
    const a = keyOf('alpha');
    const c = keyOf('charlie');
    const report = ws.write('gitleaks.json', JSON.stringify([
      { File: 'app/config.js', StartLine: 3, RuleID: 'generic-api-key', Secret: a.secret, Match: `key=${a.secret}` },
      { File: 'ops/notes.md', StartLine: 9, RuleID: 'generic-api-key', Secret: 'sk_not_one_of_ours_0123456789' },
      { File: 'deploy/env', StartLine: 1, RuleID: 'generic-api-key', Secret: c.secret },
      { File: 'app/config.js', StartLine: 30, RuleID: 'generic-api-key', Secret: a.secret },
    ]));
    const { results, events, asked } = await revoke({ reportFile: report });
    expect(results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }, { plan: 'charlie', outcome: { status: 'done' } }]);
    expect(asked).toEqual(['revoke 2 keys (listed above) now: anything still using it fails until it loads the replacement. Revoke?']);
    expect(statusIn('alpha', a.keyId)).toBe('inactive');
    expect(statusIn('charlie', c.keyId)).toBe('inactive');
    expect(statusIn('bravo', keyOf('bravo').keyId)).toBe('active');
    expect(notes(events)).toEqual(expect.arrayContaining([
      `alpha note: found: ${a.keyId} of plan alpha, leaked at app/config.js:3 (gitleaks generic-api-key); app/config.js:30 (gitleaks generic-api-key)`,
      `charlie note: found: ${c.keyId} of plan charlie, leaked at deploy/env:1 (gitleaks generic-api-key)`,
      expect.stringMatching(/^leak-report warning: not held by any plan that answered: a secret \(sha256:[0-9a-f]{12}\), seen at ops\/notes\.md:9 \(gitleaks generic-api-key\)$/),
    ]));
  });

  it('refuses a report none of whose findings any plan holds (exit 2), and a report it cannot read', async () => {
    const report = ws.write('gitleaks.json', JSON.stringify([{ File: 'a', StartLine: 1, RuleID: 'r', Secret: 'sk_not_one_of_ours_0123456789' }]));
    expect((await revoke({ reportFile: report })).results).toMatchObject({ code: 'revoke-nothing-attributed', exitCode: 2 });
    expect((await revoke({ reportFile: path.join(ws.dir, 'missing.json') })).results).toMatchObject({ code: 'leak-report-invalid', message: expect.stringContaining('ENOENT') });
  });
});

describe('revoke without a key', () => {
  it('revokes the key the one plan\'s consumers use now', async () => {
    const current = keyOf('bravo').keyId;
    const { results } = await revoke({ current: true }, [plans[1]!]);
    expect(results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(statusIn('bravo', current)).toBe('inactive');
  });

  it('needs a key when given more than one plan (exit 2)', async () => {
    expect((await revoke({ current: true })).results).toMatchObject({ code: 'revoke-needs-key', exitCode: 2 });
  });
});

describe('the revoke question, and --delete after the soak', () => {
  it('holds when the operator says no, or when nobody can be asked (no terminal, no --yes): nothing is revoked', async () => {
    const leaked = keyOf('alpha').keyId;
    const declined = await revoke({ key: leaked }, plans, { answer: 'no' });
    expect(declined.results).toEqual([{ plan: 'alpha', outcome: { status: 'held', code: 'revoke-declined' } }]);
    expect(declined.events.find((e) => e.type === 'held')).toMatchObject({ phase: 'revoke', code: 'revoke-declined' });
    const unattended = await revoke({ key: leaked }, plans, { answer: 'unattended' });
    expect(unattended.results).toEqual([{ plan: 'alpha', outcome: { status: 'held', code: 'revoke-unattended' } }]);
    expect(unattended.events.find((e) => e.type === 'held')).toMatchObject({ code: 'revoke-unattended', hint: expect.stringContaining('keyrot revoke --yes --key K plans/') });
    expect(statusIn('alpha', leaked)).toBe('active');
  });

  it('says what comes next: the soak, then an explicit --delete (never a delete it was not asked for)', async () => {
    const leaked = keyOf('alpha').keyId;
    const { results, events } = await revoke({ key: leaked }, [plans[0]!]);
    expect(results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }]);
    expect(events.filter((e) => e.type === 'warning').map((e) => e.type === 'warning' && e.message)).toContain(`revoking ${leaked} of plan alpha now: anything still using it fails until it loads the replacement`);
    const next = notes(events).find((n) => n.startsWith('alpha note: revoked'));
    expect(next).toMatch(new RegExp(`^alpha note: revoked ${leaked}; replacement key-\\w+ published; delete the leaked key after \\S+ with \`keyrot revoke --delete --key ${leaked} .*alpha\\.yaml\``));
    expect(statusIn('alpha', leaked)).toBe('inactive');
  });

  it('--delete is refused before a revoke, approved and held during the soak, and deletes the leaked key after it', async () => {
    const leaked = keyOf('alpha').keyId;
    expect((await revoke({ key: leaked }, [plans[0]!], { delete: true })).results).toEqual([
      { plan: 'alpha', outcome: { status: 'failed', code: 'revoke-delete-first', exitCode: 2 } },
    ]);
    await revoke({ key: leaked }, [plans[0]!]);

    const early = await revoke({ key: leaked }, [plans[0]!], { delete: true });
    expect(early.asked).toEqual([`permanently delete the revoked key ${leaked} of plan alpha once its soak is over?`]);
    expect(early.results).toEqual([{ plan: 'alpha', outcome: { status: 'waiting', until: expect.any(Date) } }]);
    expect(statusIn('alpha', leaked)).toBe('inactive');
    expect(ws.json<{ approvedBy: string }>('.keyrot/state/alpha.json').approvedBy).toEqual(expect.any(String));

    clock.advance(8 * 24 * 60 * 60_000);
    const later = await revoke({ key: leaked }, [plans[0]!], { delete: true });
    expect(later.results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }]);
    expect(statusIn('alpha', leaked)).toBe('gone');
  });

  it('without a key, finishes the revoke in flight rather than revoking its replacement', async () => {
    const leaked = keyOf('bravo').keyId;
    await revoke({ key: leaked }, [plans[1]!]);
    const keys = readLedger(stateDir(), 'bravo').map((k) => k.id);
    const { results } = await revoke({ current: true }, [plans[1]!]);
    expect(results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(readLedger(stateDir(), 'bravo').map((k) => `${k.id}:${k.status}`)).toEqual(keys.map((id) => `${id}:${id === leaked ? 'inactive' : 'active'}`));
  });

  it('without a key, picks the active key the targets serve when the issuer holds two', async () => {
    const served = keyOf('bravo').keyId;
    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/bravo.json');
    const spare = { id: 'key-0000000000aa', status: 'active', createdAt: clock.now().toISOString(), fingerprint: 'sha256:0000' };
    ws.write('.keyrot/generated/bravo.json', JSON.stringify({ ...ledger, keys: [spare, ...ledger.keys] }));
    const { events } = await revoke({ current: true }, [plans[1]!]);
    expect(statusIn('bravo', served)).toBe('gone'); // revoked, and deleted to make room: the ledger was full
    expect(statusIn('bravo', spare.id)).toBe('active');
    // No --delete left to run, and the note says so instead of naming one.
    expect(notes(events).find((n) => n.startsWith('bravo note: revoked'))).toMatch(/; the leaked key was deleted to make room for it \(the issuer was full\)$/);
  });
});

describe('after the revoke: what stays to be done, and what --delete and a keyless revoke then pick', () => {
  it('a plain revoke approves no delete: after the soak the leaked key stays until --delete says so', async () => {
    const leaked = keyOf('alpha').keyId;
    await revoke({ key: leaked }, [plans[0]!]);
    expect(ws.json<{ approvedBy: string | null }>('.keyrot/state/alpha.json').approvedBy).toBeNull();
    clock.advance(8 * 24 * 60 * 60_000);
    expect((await run(plans[0]!, clock)).outcome).toEqual({ status: 'held', code: 'approval-required' });
    expect(statusIn('alpha', leaked)).toBe('inactive');
  });

  it('--delete names the revoked key only: the replacement (or any other key) is refused as not being revoked', async () => {
    const leaked = keyOf('alpha').keyId;
    await revoke({ key: leaked }, [plans[0]!]);
    const replacement = keyOf('alpha').keyId;
    const { results, asked } = await revoke({ key: replacement }, [plans[0]!], { delete: true });
    expect(results).toEqual([{ plan: 'alpha', outcome: { status: 'failed', code: 'revoke-delete-first', exitCode: 2 } }]);
    expect(asked).toEqual([]);
    expect([statusIn('alpha', leaked), statusIn('alpha', replacement)]).toEqual(['inactive', 'active']);
  });

  it('once a revoke is finished (deleted), a keyless revoke takes the replacement, and --delete is refused', async () => {
    const leaked = keyOf('alpha').keyId;
    await revoke({ key: leaked }, [plans[0]!]);
    clock.advance(8 * 24 * 60 * 60_000);
    await revoke({ key: leaked }, [plans[0]!], { delete: true });
    expect(statusIn('alpha', leaked)).toBe('gone');
    const replacement = keyOf('alpha').keyId;
    // The same --delete again: done already, said with when and by which revoke (exit 0).
    const again = await revoke({ key: leaked }, [plans[0]!], { delete: true });
    expect(again.results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }]);
    expect(notes(again.events)).toContainEqual(expect.stringMatching(new RegExp(`^alpha note: ${leaked} was deleted already by its own revoke, rotation \\S+ of plan alpha, finished \\d{4}-.*; nothing left to do`)));
    expect(again.asked).toEqual([]);
    expect((await revoke({ key: replacement }, [plans[0]!], { delete: true })).results).toEqual([
      { plan: 'alpha', outcome: { status: 'failed', code: 'revoke-delete-first', exitCode: 2 } },
    ]);
    const { results } = await revoke({ current: true }, [plans[0]!]);
    expect(results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }]);
    expect(statusIn('alpha', replacement)).toBe('inactive');
  });

  it('without a key during a rotation: the key the targets serve is the new one, refused as the rotation\'s new key; the old key is left alone', async () => {
    const old = keyOf('alpha').keyId;
    expect((await run(plans[0]!, clock, { wait: false })).outcome.status).toBe('waiting'); // in drain: the targets serve the new key
    const fresh = keyOf('alpha').keyId;
    expect(fresh).not.toBe(old);
    const { results } = await revoke({ current: true }, [plans[0]!]);
    expect(results).toMatchObject([{ plan: 'alpha', outcome: { status: 'held', code: 'revoke-new-key' } }]);
    expect([statusIn('alpha', old), statusIn('alpha', fresh)]).toEqual(['active', 'active']);
  });

  it('without a key on a plan with no record (its state lost): the key the targets serve is revoked', async () => {
    const served = keyOf('alpha').keyId;
    forgetRecords();
    const { results } = await revoke({ current: true }, [plans[0]!]);
    expect(results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }]);
    expect(statusIn('alpha', served)).toBe('inactive');
  });

  it('a key no plan holds, on plans with no record: refused as having no owner, nothing revoked', async () => {
    const served = keyOf('alpha').keyId;
    forgetRecords();
    const { results } = await revoke({ key: 'key-nobody-has' });
    expect(results).toMatchObject({ code: 'revoke-no-owner' });
    expect(statusIn('alpha', served)).toBe('active');
  });

  it('a revoke that fails midway ends failed, not done: its target cannot be written', async () => {
    const leaked = keyOf('alpha').keyId;
    rmSync(path.join(ws.dir, 'alpha-keys.json'));
    mkdirSync(path.join(ws.dir, 'alpha-keys.json')); // a folder where the target file should be
    const { results } = await revoke({ key: leaked }, [plans[0]!]);
    expect(results).toMatchObject([{ plan: 'alpha', outcome: { status: 'failed' } }]);
  });

  it('a revoke held on its way (a target keyrot does not manage) ends held, exit 3, not done', async () => {
    const leaked = keyOf('alpha').keyId;
    ws.write('alpha-keys.json', JSON.stringify({ current: { keyId: 'someone-elses', secret: 'x' } })); // no keyrot marker
    const { results, events } = await revoke({ key: leaked }, [plans[0]!]);
    expect(results).toEqual([{ plan: 'alpha', outcome: { status: 'held', code: 'store-unmanaged' } }]);
    expect(statusIn('alpha', leaked)).toBe('inactive'); // revoked all the same: the hold is about its replacement
    expect(notes(events).filter((n) => n.startsWith('alpha note: revoked'))).toEqual([]);
  });

  it('the same revoke run again after its soak, without --delete: done, saying the --delete still to run, not held for an approval', async () => {
    const leaked = keyOf('alpha').keyId;
    await revoke({ key: leaked }, [plans[0]!]);
    clock.advance(8 * 24 * 60 * 60_000);
    const { results, events } = await revoke({ key: leaked }, [plans[0]!]);
    expect(results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }]);
    expect(notes(events).find((n) => n.startsWith('alpha note: revoked'))).toMatch(new RegExp(`with \`keyrot revoke --delete --key ${leaked} `));
    expect(statusIn('alpha', leaked)).toBe('inactive');
  });

  it('without a key and no target naming one: the only active key is taken; with two, none is guessed', async () => {
    const only = keyOf('bravo').keyId;
    rmSync(path.join(ws.dir, 'bravo-keys.json'));
    const { results } = await revoke({ current: true }, [plans[1]!]);
    expect(results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(statusIn('bravo', only)).toBe('inactive');

    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/charlie.json');
    const spare = { id: 'key-0000000000ab', status: 'active', createdAt: clock.now().toISOString(), fingerprint: 'sha256:0000' };
    ws.write('.keyrot/generated/charlie.json', JSON.stringify({ ...ledger, keys: [spare, ...ledger.keys] }));
    rmSync(path.join(ws.dir, 'charlie-keys.json'));
    expect((await revoke({ current: true }, [plans[2]!])).results).toMatchObject({ code: 'revoke-no-current-key' });
    expect(readLedger(stateDir(), 'charlie').filter((k) => k.status === 'active')).toHaveLength(2);
  });

  it('without a key and no target naming one: an inactive key beside the active one is not counted, the active one is taken', async () => {
    const only = keyOf('bravo').keyId;
    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/bravo.json');
    const spare = { id: 'key-0000000000ac', status: 'inactive', createdAt: clock.now().toISOString(), fingerprint: 'sha256:0000' };
    ws.write('.keyrot/generated/bravo.json', JSON.stringify({ ...ledger, keys: [spare, ...ledger.keys] }));
    rmSync(path.join(ws.dir, 'bravo-keys.json'));
    expect((await revoke({ current: true }, [plans[1]!])).results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(statusIn('bravo', only)).not.toBe('active');
  });

  it('without a key, two targets, one of them empty: the active key the other serves is taken, though the issuer holds two', async () => {
    const delta = await load(ws.plan('delta', localPlan('delta', { publish: [{ type: 'file', path: 'delta-a.json' }, { type: 'file', path: 'delta-b.json' }] })));
    await run(delta, clock);
    const served = readStore(path.join(ws.dir, 'delta-a.json')).current!.keyId;
    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/delta.json');
    const spare = { id: 'key-0000000000ad', status: 'active', createdAt: clock.now().toISOString(), fingerprint: 'sha256:0000' };
    ws.write('.keyrot/generated/delta.json', JSON.stringify({ ...ledger, keys: [spare, ...ledger.keys] }));
    rmSync(path.join(ws.dir, 'delta-b.json')); // this target serves nothing now
    expect((await revoke({ current: true }, [delta])).results).toEqual([{ plan: 'delta', outcome: { status: 'done' } }]);
    expect(statusIn('delta', served)).not.toBe('active');
    expect(statusIn('delta', spare.id)).toBe('active');
  });

  it('`--delete` of a key its own revoke deleted already (to make room): keyrot\'s records say so, and that revoke\'s delete goes on (exit 0, not "no plan holds it")', async () => {
    const leaked = keyOf('bravo').keyId;
    expect((await revoke({ key: leaked })).results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    // As when the issuer was full: the revoked key was deleted to make room, before the list create saved.
    const file = path.join(stateDir(), 'state', 'bravo.json');
    const state = ws.json<{ keysBeforeCreate: string[]; rotationId: string }>('.keyrot/state/bravo.json');
    ws.write(path.relative(ws.dir, file), JSON.stringify({ ...state, keysBeforeCreate: state.keysBeforeCreate.filter((k) => k !== leaked) }));
    const ledger = ws.json<{ keys: Array<{ id: string }> }>('.keyrot/generated/bravo.json');
    ws.write('.keyrot/generated/bravo.json', JSON.stringify({ ...ledger, keys: ledger.keys.filter((k) => k.id !== leaked) }));
    clock.advance(8 * 24 * 3600_000);
    const { results, events, asked } = await revoke({ key: leaked }, plans, { delete: true });
    expect(results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(notes(events)).toContainEqual(
      `bravo note: ${leaked} was deleted already by its own revoke, rotation ${state.rotationId} of plan bravo (keyrot's records; \`keyrot history ${plans[1]!.file}\` says when and why); that revoke goes on`,
    );
    expect(asked).toEqual([`permanently delete the revoked key ${leaked} of plan bravo once its soak is over?`]);
    expect(ws.json<{ phase: string }>('.keyrot/state/bravo.json').phase).toBe('done');
    // Its revoke finished now: said as finished (done, exit 0), not as a revoke that goes on.
    const again = await revoke({ key: leaked }, plans, { delete: true });
    expect(again.results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(notes(again.events)).toContainEqual(expect.stringContaining(`bravo note: ${leaked} was deleted already by its own revoke, rotation ${state.rotationId} of plan bravo, finished `));
    // A key no record names stays "no plan holds it".
    expect((await revoke({ key: 'key-0000000000ff' }, plans, { delete: true })).results).toMatchObject({ code: 'revoke-no-owner' });
  });

  it('a key that is already inactive (and no revoke of it in flight): nothing to revoke, nothing asked', async () => {
    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/charlie.json');
    const old = { id: 'key-0000000000ac', status: 'inactive', createdAt: clock.now().toISOString(), fingerprint: 'sha256:0001' };
    ws.write('.keyrot/generated/charlie.json', JSON.stringify({ ...ledger, keys: [old, ...ledger.keys] }));
    const { results, events, asked } = await revoke({ key: old.id }, [plans[2]!]);
    expect(results).toEqual([{ plan: 'charlie', outcome: { status: 'done' } }]);
    expect(asked).toEqual([]);
    expect(notes(events)).toContainEqual(expect.stringMatching(new RegExp(`^charlie note: nothing to revoke: ${old.id} is already inactive`)));
    expect(statusIn('charlie', keyOf('charlie').keyId)).toBe('active');
  });

  it('writes where a leak was seen to the audit log with the revoke, and no such record for a revoke by key id', async () => {
    const a = keyOf('alpha');
    const report = ws.write('gitleaks.json', JSON.stringify([{ File: 'app/config.js', StartLine: 3, RuleID: 'generic-api-key', Secret: a.secret }]));
    await revoke({ reportFile: report });
    await revoke({ key: keyOf('bravo').keyId });
    const leakRecords = readAudit(stateDir()).filter((r) => r.detail?.includes('leaked: seen at'));
    expect(leakRecords.map((r) => `${r.plan}: ${r.detail}`)).toEqual([`alpha: ${a.keyId} leaked: seen at app/config.js:3 (gitleaks generic-api-key)`]);
  });
});
