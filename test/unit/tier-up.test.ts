// When V8 optimises a run's code (src/cli/tier-up.ts, issue 27): in a run over a few hundred plans,
// later than V8's own budget, so code called only a few hundred times is not compiled for the few calls
// left, yet hot code still is; over more plans at V8's own budget; and a budget the user chose is theirs. In a process of its own, from the build (npm run build
// first): V8's flags are process-wide. %WaitForBackgroundOptimization lets a compilation that was
// started finish, so what is asked is only whether V8 decided to optimise.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Whether a small function is optimised after `calls` calls, in a node started with `flags`, after `setUp`. */
function optimisedAfter(calls: number, setUp: string, flags: string[] = []): boolean {
  const script = `
    import { tierUpLater, TIER_UP_MAX_PLANS } from ${JSON.stringify(path.resolve('dist/cli/tier-up.js'))};
    ${setUp}
    function work(o) { let s = 0; for (const k in o) s += String(o[k]).length; return s; }
    const o = { a: 1, b: 'two', c: [3], d: { e: 4 } };
    for (let i = 0; i < ${calls}; i++) work(o);
    %WaitForBackgroundOptimization();
    work(o);
    console.log((%GetOptimizationStatus(work) & 16) !== 0);`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', ...flags, '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as boolean;
}

describe('when a run optimises its code', () => {
  it('optimises code called a thousand times later than V8 would in a run over 200 plans, and code called more often still', () => {
    expect(optimisedAfter(1000, '')).toBe(true);
    expect(optimisedAfter(1000, 'tierUpLater(200);')).toBe(false);
    expect(optimisedAfter(20000, 'tierUpLater(200);')).toBe(true);
  });

  it("keeps V8's own budget for a run over more plans than TIER_UP_MAX_PLANS", () => {
    expect(optimisedAfter(1000, 'tierUpLater(TIER_UP_MAX_PLANS);')).toBe(false);
    expect(optimisedAfter(1000, 'tierUpLater(TIER_UP_MAX_PLANS + 1);')).toBe(true);
  });

  it('leaves a budget the user chose to the user', () => {
    expect(optimisedAfter(1000, 'tierUpLater(200);', ['--interrupt-budget=67584'])).toBe(true);
  });
});
