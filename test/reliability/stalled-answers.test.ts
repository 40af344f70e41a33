// Issue 25, defect 4: every provider call is bounded end to end by the plan's timeout, a body that
// stalls after its headers included. Each provider (test/reliability/stall-cases.ts) is reached
// through a proxy that forwards its real answers' status and headers and then stalls the body
// (test/peers/stall-kit.ts); keyrot must end on its own with the provider's exit code (4; 3 where no
// answer holds a gate), well inside attempts x timeout, naming the timeout, and leave what the provider
// held as it was (each case's snapshot, read from the provider itself). A hang is killed at the
// bound and fails the test. The long form (KEYROT_RELIABILITY=long) also drips the body a byte at a
// time, which no idle timeout ever ends: only a deadline over the whole call does; and answers nothing
// at all once connected (`stall`; on the tcp wire, not one byte of the server's).
// And (issue 25, "connection resets"): a call whose connections are reset, or refused, says so, and
// never that it got "no answer within" its timeout.
import { afterAll, describe, expect, it } from 'vitest';
import { boundOf, runStalled, type Stall, type Trouble } from '../peers/stall-kit.js';
import { LONG } from './kit.js';
import { recordFaults } from './faults.js';
import { closePeers, stallCases } from './stall-cases.js';

afterAll(() => closePeers(), 60_000);

const kinds: Stall[] = LONG ? ['stall', 'stall-body', 'drip-body'] : ['stall-body'];
// The tcp wire cannot drip (a protocol's bytes cannot be made up): its cases stall only.
const stalls = kinds.flatMap((kind) => stallCases.filter((c) => kind !== 'drip-body' || c.wire !== 'tcp').map((c) => [c.name, kind, c] as const));
const STACK = /internal error|\n\s+at .+:\d+:\d+\)?\n/;

const STALLS = `answers whose body stalls after the headers, for every provider (${stalls.length} runs)`;
describe(STALLS, () => {
  it.each(stalls)('%s, %s: ends on its own with its exit code, within attempts x timeout', async (name, kind, c) => {
    const { result, elapsedMs, stalled, killed, before, after } = await runStalled(c, kind);
    recordFaults(STALLS, { [`${kind} (requests)`]: stalled });
    const said = `${name}: exit ${result.code} after ${Math.round(elapsedMs)} ms\n${result.stderr}`;
    expect(killed, `${said}\nhung: killed after ${boundOf(c)} ms`).toBe(false);
    expect(stalled, `${said}\nthe proxy stalled nothing: this run proves nothing`).toBeGreaterThan(0);
    expect(result.code, said).toBe(c.exit);
    expect(result.stderr, said).not.toMatch(STACK);
    expect(result.stderr, `${said}\nshould name the timeout`).toMatch(/within (1s|1000 ?ms)/);
    expect(elapsedMs, said).toBeLessThan(boundOf(c));
    expect(Object.keys(before), `${name}: the snapshot holds nothing: it proves nothing`).not.toEqual([]);
    expect(after, `${said}\nwhat the provider held changed`).toMatchObject(before);
  }, 240_000);
});

const troubles: Array<[Trouble, RegExp]> = [['reset', /reset|hang up/i], ['refused', /refused/i]];
const failing = troubles.flatMap(([kind, says]) => stallCases.filter((c) => !c.sharesClientWith && (c.wire !== 'tcp' || kind === 'refused')).map((c) => [c.name, kind, says, c] as const));

const FAILING = `connections reset or refused say so, for every provider (${failing.length} runs)`;
describe(FAILING, () => {
  it.each(failing)('%s, %s: names what happened, not a timeout it never waited for', async (name, kind, says, c) => {
    const { result, elapsedMs, stalled, killed, before, after } = await runStalled(c, kind);
    recordFaults(FAILING, { [kind === 'reset' ? 'connections reset' : 'connections refused (proxy gone)']: stalled });
    const said = `${name}: exit ${result.code} after ${Math.round(elapsedMs)} ms\n${result.stderr}`;
    expect(killed, said).toBe(false);
    expect(stalled, `${said}\nthe proxy did nothing: this run proves nothing`).toBeGreaterThan(0);
    expect(result.code, said).toBe(c.exit);
    expect(result.stderr, said).not.toMatch(STACK);
    expect(result.stderr, said).toMatch(says);
    expect(result.stderr, said).not.toMatch(/no answer within/);
    expect(after, `${said}\nwhat the provider held changed`).toMatchObject(before);
  }, 240_000);

  it('aws-iam: each attempt counted by what it met (every one a reset here), with the time it took', async () => {
    const iam = stallCases.find((c) => c.name.startsWith('aws-iam issuer'))!;
    const { result } = await runStalled(iam, 'reset');
    expect(result.stderr).toMatch(/iam:ListAccessKeys failed: no answer from http:\/\/127\.0\.0\.1:\d+: connection reset on each of 6 attempts over \d+s/);
  }, 240_000);
});
