// keyrot status over many plans (issue 27): each plan's record and audit summary read once per state
// store (records peeked, the audit log streamed), every figure as before.
import path from 'node:path';
import { appendFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPlans } from '../../src/engine/operations/run.js';
import { status } from '../../src/engine/operations/status.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { load, sessionOptions, stateDirOf } from '../helpers/engine.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let clock: FakeClock;
beforeEach(() => {
  ws = workspace();
  clock = new FakeClock();
});
afterEach(() => ws.cleanup());

const DAY = 86_400_000;

async function fleet(n: number): Promise<LoadedPlan[]> {
  const plans: LoadedPlan[] = [];
  for (let i = 0; i < n; i++) plans.push(await load(ws.plan(`p${i}`, localPlan(`p${i}`, { schedule: { maxAge: '30d' } }))));
  return plans;
}

describe('keyrot status over many plans', () => {
  it('tells each plan its key age, its rotation in flight and its last outcomes, from one read of each record and of the audit log', async () => {
    const plans = await fleet(40);
    await runPlans(plans, { concurrency: 8 }, sessionOptions(clock, [], { wait: false }));
    clock.advance(31 * DAY);
    await runPlans(plans.slice(0, 3), { concurrency: 8 }, sessionOptions(clock, [], { wait: false, due: true })); // three rotations parked in the drain
    // Another plan's history, and a failure of p5, in the same log.
    const log = path.join(stateDirOf(plans[0]!), 'audit.jsonl');
    const line = (plan: string, outcome: string, time: string) => `${JSON.stringify({ time, plan, rotationId: 'r9', phase: 'verify', action: 'verify', outcome, actor: 'ops@host' })}\n`;
    appendFileSync(log, line('not-named', 'failed', '2026-02-01T00:00:00.000Z') + line('p5', 'failed', '2026-02-01T00:00:01.000Z') + line('p5', 'ok', '2026-02-01T00:00:02.000Z'));

    const report = await status(plans, {}, { ...sessionOptions(clock, [], {}), clock });
    expect(report.plans.map((p) => p.plan)).toEqual(plans.map((p) => p.plan.name).sort());
    expect(report.rotations.map((r) => r.state.plan)).toEqual(['p0', 'p1', 'p2']);
    expect(report.rotations[0]!.next).toMatch(/^drain ends .* \(in 15m\)$/);
    expect(report.idle).toBe(37);
    const p5 = report.plans.find((p) => p.plan === 'p5')!;
    expect(p5).toMatchObject({ lastOutcome: { outcome: 'ok', action: 'verify', at: '2026-02-01T00:00:02.000Z' }, lastFailureAt: '2026-02-01T00:00:01.000Z', overdue: true });
    expect(p5.age).toMatch(/^31d old: OVERDUE since/);
    const p9 = report.plans.find((p) => p.plan === 'p9')!;
    expect(p9.lastFailureAt).toBeNull();
    expect(p9.lastSuccessAt).not.toBeNull();
    expect(report.plans.find((p) => p.plan === 'p0')!.rotation?.phase).toBe('drain');
  });

  it('still refuses a record it cannot read, naming it', async () => {
    const plans = await fleet(3);
    await runPlans(plans, { concurrency: 8 }, sessionOptions(clock, [], { wait: false }));
    writeFileSync(path.join(stateDirOf(plans[1]!), 'state', 'p1.json'), '{"format": 1, "pla');
    await expect(status(plans, {}, { ...sessionOptions(clock, [], {}), clock })).rejects.toMatchObject({ code: 'state-corrupt' });
  });
});
