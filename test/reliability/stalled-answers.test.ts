// Issue 25, defect 4: every provider call is bounded end to end by the plan's timeout, a body that
// stalls after its headers included. Each provider (test/reliability/stall-cases.ts) is reached
// through a proxy that forwards its real answers' status and headers and then stalls the body
// (test/peers/stall-kit.ts); keyrot must end on its own with the provider's exit code (4; 3 where no
// answer holds a gate), well inside attempts x timeout, naming the timeout. A hang is killed at the
// bound and fails the test. The long form (KEYROT_RELIABILITY=long) also drips the body a byte at a
// time, which no idle timeout ever ends: only a deadline over the whole call does.
import { afterAll, describe, expect, it } from 'vitest';
import { boundOf, runStalled, type Stall } from '../peers/stall-kit.js';
import { LONG } from './kit.js';
import { closePeers, stallCases } from './stall-cases.js';

afterAll(() => closePeers(), 60_000);

const kinds: Stall[] = LONG ? ['stall-body', 'drip-body'] : ['stall-body'];
const stalls = kinds.flatMap((kind) => stallCases.map((c) => [c.name, kind, c] as const));
const STACK = /internal error|\n\s+at .+:\d+:\d+\)?\n/;

describe(`answers whose body stalls after the headers, for every provider (${stalls.length} runs)`, () => {
  it.each(stalls)('%s, %s: ends on its own with its exit code, within attempts x timeout', async (name, kind, c) => {
    const { result, elapsedMs, stalled, killed } = await runStalled(c, kind);
    const said = `${name}: exit ${result.code} after ${Math.round(elapsedMs)} ms\n${result.stderr}`;
    expect(killed, `${said}\nhung: killed after ${boundOf(c)} ms`).toBe(false);
    expect(stalled, `${said}\nthe proxy stalled nothing: this run proves nothing`).toBeGreaterThan(0);
    expect(result.code, said).toBe(c.exit);
    expect(result.stderr, said).not.toMatch(STACK);
    expect(result.stderr, `${said}\nshould name the timeout`).toMatch(/within (1s|1000 ?ms)/);
    expect(elapsedMs, said).toBeLessThan(boundOf(c));
  }, 240_000);
});
