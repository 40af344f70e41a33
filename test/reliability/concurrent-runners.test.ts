// Issue 12, harness item 2: eight keyrot runs of one plan started at the same moment, as overlapping cron
// jobs would. Exactly one rotation happens: one run takes the plan lock and rotates, the other seven
// exit 3 naming the holder; with --wait-lock they queue and each advances that same rotation, never a
// second one. The issuer never holds more than two keys; afterwards one key is served everywhere.
// Short form under `npm test` (1 round of each); KEYROT_RELIABILITY=long: 5 rounds of each.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RotationState } from '../../src/engine/rotation.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit, readState } from '../helpers/inspect.js';
import { LONG, type Rig, STATE, startRig } from './kit.js';
import { recordFaults } from './faults.js';

const ROUNDS = LONG ? 5 : 1;
const RUNNERS = 8;
const USER = 'crowd-svc';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
  await rig.seed(USER);
}, 300_000);
afterAll(() => rig?.close());

const stateDir = () => path.join(rig.ws.dir, STATE);
const rotationsStarted = (since: number) => new Set(readAudit(stateDir()).slice(since).filter((r) => r.action === 'create-key').map((r) => r.rotationId));

const SUITE = `${RUNNERS} runners of one plan at once`;
describe(SUITE, () => {
  afterAll(() => recordFaults(SUITE, { 'runners racing for one plan': RUNNERS * ROUNDS * 2 }));

  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(`round %i of ${ROUNDS}: one rotation; the other runs exit 3 naming the holder`, async () => {
    const plan = rig.plan(USER);
    const before = readAudit(stateDir()).length;
    const results = await Promise.all(Array.from({ length: RUNNERS }, () => rig.run(plan)));
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join('\n')).toEqual([0, ...Array(RUNNERS - 1).fill(3)]);
    for (const r of results.filter((x) => x.code === 3)) expect(r.stdout + r.stderr).toMatch(/is locked by pid \d+ on .* since /);
    expect(rotationsStarted(before).size).toBe(1);
    expect(await rig.converged(USER)).toEqual([]);
  }, 120_000);

  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(`round %i of ${ROUNDS}: with --wait-lock they queue and advance that one rotation`, async () => {
    const plan = rig.plan(USER, { drain: '1h' }); // parks in the overlap window: every later run finds it in flight
    const before = readAudit(stateDir()).length;
    const results = await Promise.all(Array.from({ length: RUNNERS }, () => rig.run(plan, {}, ['--no-wait', '--wait-lock', '2m'])));
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual(Array(RUNNERS).fill(75));
    expect(rotationsStarted(before).size).toBe(1);
    expect((await rig.iamKeys(USER)).filter((k) => k.status === 'Active')).toHaveLength(2);
    expect(readState(stateDir(), USER)).toMatchObject({ phase: 'drain', stage: 'waiting' });
    // Finish it: the overlap cut short by moving its stored deadline to now (a test never sleeps through one).
    const file = path.join(stateDir(), 'state', `${USER}.json`);
    const state = JSON.parse(readFileSync(file, 'utf8')) as RotationState;
    writeFileSync(file, JSON.stringify({ ...state, deadlines: { ...state.deadlines, drain: new Date().toISOString() } }));
    const finished = await rig.run(rig.plan(USER));
    expect(finished.code, finished.stderr).toBe(0);
    expect(rotationsStarted(before).size).toBe(1);
    expect(await rig.converged(USER)).toEqual([]);
  }, 180_000);
});
