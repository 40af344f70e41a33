// keyrot revoke with a scanner's report: what an operator sees when not every finding can be decided
// (exit 4 beside the revokes that could be done), when two findings are one key (one revoke, every
// place kept) and two keys of one plan stay two, and when the search is interrupted or the report is
// no file. In-process over generated-key plans, as test/unit/revoke-search.test.ts (the plain cases).
import { execFileSync } from 'node:child_process';
import { mkdirSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { revokeKeys, type RevokeRequest } from '../../src/engine/operations/revoke.js';
import type { LeakSource } from '../../src/engine/revoke-targets.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { issuedLookups, issuedPlans, load, sessionOptions } from '../helpers/engine.js';
import { readAudit } from '../helpers/inspect.js';
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
const notes = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'note' || e.type === 'warning' ? [`${e.plan} ${e.type}: ${e.message}`] : []));
const gitleaks = (findings: Array<{ File: string; Secret: string }>) =>
  ws.write('gitleaks.json', JSON.stringify(findings.map((f) => ({ ...f, StartLine: 1, RuleID: 'generic-api-key' }))));

async function revoke(source: LeakSource, { signal, on = plans }: { signal?: AbortSignal; on?: LoadedPlan[] } = {}) {
  const events: RunEvent[] = [];
  const asked: string[] = [];
  const options = { ...sessionOptions(clock, events, { wait: false, ...(signal ? { signal } : {}) }), confirm: async (q: string) => (asked.push(q), 'yes' as const) };
  const request: RevokeRequest = { source, delete: false, withYes: { command: 'keyrot revoke --yes --report R plans/', piped: false } };
  const results = await revokeKeys(on, request, options).catch((e: unknown) => e as Error & { code: string; exitCode: number });
  return { results, events, asked };
}

describe('a report whose findings cannot all be decided', () => {
  it('revokes what it can attribute, names the finding no plan could be asked about, and ends with exit 4', async () => {
    const a = keyOf('alpha');
    unaskable('charlie');
    const report = gitleaks([{ File: 'app/config.js', Secret: a.secret }, { File: 'ops/notes.md', Secret: 'sk_not_one_of_ours_0123456789' }]);
    const { results, events } = await revoke({ reportFile: report });
    expect(results).toEqual([
      { plan: 'alpha', outcome: { status: 'done' } },
      { plan: 'leak-report', outcome: { status: 'failed', code: 'revoke-not-asked', exitCode: 4 } },
    ]);
    expect(statusIn('alpha', a.keyId)).toBe('inactive');
    expect(notes(events)).toContainEqual(expect.stringMatching(
      /^leak-report warning: could not be decided: a secret \(sha256:[0-9a-f]{12}\), seen at ops\/notes\.md:1 \(gitleaks generic-api-key\); these plans could hold it but could not be asked: charlie$/,
    ));
    const failed = events.find((e) => e.type === 'failed' && e.plan === 'leak-report');
    expect(failed).toMatchObject({ code: 'revoke-not-asked', message: expect.stringContaining('1 of the 2 findings') });
    expect(JSON.stringify(failed)).toContain('charlie.yaml');
    expect(JSON.stringify(failed)).not.toContain('alpha.yaml');
  });

  it('with nothing attributed and a finding undecided: exit 4 naming the plan, not "nothing attributed" (exit 2)', async () => {
    unaskable('charlie');
    const report = gitleaks([{ File: 'ops/notes.md', Secret: 'sk_not_one_of_ours_0123456789' }]);
    const { results, asked } = await revoke({ reportFile: report });
    expect(results).toMatchObject({ code: 'revoke-not-asked', exitCode: 4, message: expect.stringContaining('1 of the 1 finding') });
    expect(JSON.stringify(results) + (results as Error).message).toContain('charlie.yaml');
    expect(asked).toEqual([]);
  });

  it('names ten of the plans it could not ask and counts the rest, in the warning and in the error', async () => {
    for (const n of ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11']) {
      plans.push(await load(ws.plan(`p${n}`, localPlan(`p${n}`))));
      unaskable(`p${n}`);
    }
    unaskable('charlie'); // twelve in all
    const { results, events } = await revoke({ reportFile: gitleaks([{ File: 'ops/notes.md', Secret: 'sk_not_one_of_ours_0123456789' }]) });
    expect(notes(events)).toContainEqual(expect.stringMatching(/could not be asked: charlie, p01, p02, p03, p04, p05, p06, p07, p08, p09 and 2 more$/));
    const said = JSON.stringify(results) + (results as Error).message;
    expect(said).toMatch(/p09\.yaml and 2 more/);
    expect(said).not.toContain('p10.yaml');
  });
});

describe('findings of one key', () => {
  it('an AWS key id and its secret seen in two places are one key: revoked once, both places written down', async () => {
    const keyId = 'AKIAIOSFODNN7EXAMPLE';
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/bravo.json');
    const spare = { id: keyId, status: 'active', createdAt: clock.now().toISOString(), fingerprint: fingerprint(secret) };
    ws.write('.keyrot/generated/bravo.json', JSON.stringify({ ...ledger, keys: [spare, ...ledger.keys] }));
    const report = gitleaks([{ File: 'ci/env', Secret: keyId }, { File: 'ci/secrets', Secret: secret }]);
    const { results, events, asked } = await revoke({ reportFile: report });
    expect(results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(asked).toEqual([`revoke ${keyId} of plan bravo now: anything still using it fails until it loads the replacement. Revoke?`]);
    expect(statusIn('bravo', keyId)).toBe('gone'); // revoked, and deleted to make room: the ledger was full
    expect(notes(events).filter((n) => n.startsWith('bravo note: found:'))).toEqual([
      `bravo note: found: ${keyId} of plan bravo, leaked at ci/env:1 (gitleaks generic-api-key)`,
      `bravo note: found: ${keyId} of plan bravo, leaked at ci/secrets:1 (gitleaks generic-api-key)`,
    ]);
    const leakRecords = readAudit(stateDir()).filter((r) => r.detail?.includes('leaked: seen at'));
    expect(leakRecords.map((r) => `${r.plan}: ${r.detail}`)).toEqual([`bravo: ${keyId} leaked: seen at ci/env:1 (gitleaks generic-api-key); ci/secrets:1 (gitleaks generic-api-key)`]);
  });

  it('two keys of one plan in one report are two keys: both revoked (the second inside the first\'s rotation), exit 0, never dropped', async () => {
    const keyId = 'AKIAIOSFODNN7EXAMPLE';
    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/bravo.json');
    const spare = { id: keyId, status: 'active', createdAt: clock.now().toISOString(), fingerprint: fingerprint('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') };
    ws.write('.keyrot/generated/bravo.json', JSON.stringify({ ...ledger, keys: [spare, ...ledger.keys] }));
    const b = keyOf('bravo');
    const report = gitleaks([{ File: 'ci/env', Secret: keyId }, { File: 'app/config.js', Secret: b.secret }]);
    const { results, events, asked } = await revoke({ reportFile: report });
    expect(asked).toEqual(['revoke 2 keys (listed above) now: anything still using it fails until it loads the replacement. Revoke?']);
    // One rotation per plan at a time: the first key's replaces it; the second, served by no target
    // once the replacement is, is revoked inside that rotation.
    expect(results).toEqual([
      { plan: 'bravo', outcome: { status: 'done' } },
      { plan: 'bravo', outcome: { status: 'done' } },
    ]);
    expect(statusIn('bravo', keyId)).toBe('gone');
    expect(statusIn('bravo', b.keyId)).toBe('inactive');
    expect(keyOf('bravo').keyId).not.toBe(b.keyId);
    expect(statusIn('bravo', keyOf('bravo').keyId)).toBe('active');
    expect(notes(events)).toContainEqual(expect.stringMatching(new RegExp(`^bravo note: revoked ${b.keyId}; the rotation in flight goes on where it stood, at soak \\(waiting\\); `)));
    const leakRecords = readAudit(stateDir()).filter((r) => r.detail?.includes('leaked: seen at'));
    expect(leakRecords.map((r) => r.detail)).toEqual([`${keyId} leaked: seen at ci/env:1 (gitleaks generic-api-key)`, `${b.keyId} leaked: seen at app/config.js:1 (gitleaks generic-api-key)`]);
  });

  it('an AWS key id no plan holds is named by its id (an identifier, not a secret)', async () => {
    const a = keyOf('alpha');
    const report = gitleaks([{ File: 'app/config.js', Secret: a.secret }, { File: 'ci/env', Secret: 'AKIAIOSFODNN7EXAMPLE' }]);
    const { events } = await revoke({ reportFile: report });
    expect(notes(events)).toContainEqual('leak-report warning: not held by any plan that answered: AKIAIOSFODNN7EXAMPLE, seen at ci/env:1 (gitleaks generic-api-key)');
  });
});

describe('the search and the report', () => {
  it("--key on the one plan that keyrot's records name: no 'not asked' note, as no other plan was left unasked", async () => {
    const leaked = keyOf('alpha').keyId;
    const { results, events } = await revoke({ key: leaked }, { on: [plans[0]!] });
    expect(results).toEqual([{ plan: 'alpha', outcome: { status: 'done' } }]);
    expect(notes(events).filter((n) => n.includes('not asked'))).toEqual([]);
  });

  it('an interrupt (Ctrl-C) before the search ends it: nothing asked, nothing revoked', async () => {
    const a = keyOf('alpha');
    const stop = new AbortController();
    stop.abort();
    const { results, asked } = await revoke({ reportFile: gitleaks([{ File: 'app/config.js', Secret: a.secret }]) }, { signal: stop.signal });
    expect(results).toMatchObject({ code: 'interrupted' });
    expect(asked).toEqual([]);
    expect(statusIn('alpha', a.keyId)).toBe('active');
    const byKey = await revoke({ key: a.keyId }, { signal: stop.signal });
    expect(byKey.results).toMatchObject({ code: 'interrupted' });
  });

  it('an interrupt (Ctrl-C) while the report is still coming down a pipe: interrupted, not "cannot read it"', async () => {
    const pipe = path.join(ws.dir, 'gitleaks.fifo');
    execFileSync('mkfifo', [pipe]); // a scanner still running: nothing written to the pipe yet
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const { results, asked } = await revoke({ reportFile: pipe }, { signal: stop.signal });
    expect(results).toMatchObject({ code: 'interrupted' });
    expect(asked).toEqual([]);
  });

  it('refuses a folder given as the report, saying it is not a file', async () => {
    mkdirSync(path.join(ws.dir, 'reports'));
    const { results } = await revoke({ reportFile: path.join(ws.dir, 'reports') });
    expect(results).toMatchObject({ code: 'leak-report-invalid', message: expect.stringContaining('not a file or a pipe') });
  });

  it('refuses a report larger than 256 MB, saying so, without reading it', async () => {
    const huge = ws.write('huge.json', '[]');
    truncateSync(huge, 256 * 1024 * 1024 + 1); // sparse: nothing written
    const { results } = await revoke({ reportFile: huge });
    expect(results).toMatchObject({ code: 'leak-report-invalid', message: expect.stringContaining('larger than 256 MB') });
  });

  it('a keyless revoke writes no "seen at" record: the key was not reported anywhere', async () => {
    const current = keyOf('bravo').keyId;
    const { results } = await revoke({ current: true }, { on: [plans[1]!] });
    expect(results).toEqual([{ plan: 'bravo', outcome: { status: 'done' } }]);
    expect(statusIn('bravo', current)).toBe('inactive');
    expect(readAudit(stateDir()).filter((r) => r.detail?.includes('seen at'))).toEqual([]);
  });
});
