// Issue 12, harness item 1: SIGKILL of the real binary at random moments of an aws-iam rotation into
// Vault KV v2 (OpenBao), Secrets Manager (moto) and a file. A third of the kills land on fault points
// right after the saves an unkilled rotation makes (KEYROT_TEST_KILL_AFTER=phase:stage#n), the rest
// after a random delay. After each kill, keyrot is run again as cron would, and then: one active
// key, served by every target, authenticating; no orphan; never more than two keys; the audit log
// complete and in order; no secret in anything keyrot printed or wrote.
// Short form under `npm test` (20 kills); KEYROT_RELIABILITY=long: 100 kills.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { savePointsIn } from '../helpers/cli.js';
import { leakedIndexes } from '../helpers/inspect.js';
import { LONG, type Rig, seeded, startRig } from './kit.js';
import { recordFaults } from './faults.js';

const KILLS = LONG ? 100 : 20;
const SEED = Number(process.env.KEYROT_RELIABILITY_SEED ?? 20261201);
/** Every save of a whole rotation (production's save points), traced once before the kills. */
let FAULTS: string[] = [];
/** Independent plans (one IAM user each) killed side by side: the kills within one plan come one after another. */
const LANES = 4;
const users = Array.from({ length: LANES }, (_, i) => `sigkill-${i}`);

let rig: Rig;
let plans: string[];
/** How long one whole rotation takes here: random kills land within it. */
let rotationMs = 3000;
// Drawn up front, so a seed replays the same kills whatever order the tests finish in.
const random = seeded(SEED);
const draws = Array.from({ length: KILLS + 1 }, () => [random(), random(), random(), random()]);
const lanes = users.map(() => Promise.resolve());
/** Run `fn` after every earlier test of the same lane. */
function inLane<T>(lane: number, fn: () => Promise<T>): Promise<T> {
  const result = lanes[lane]!.then(fn);
  lanes[lane] = result.then(() => undefined, () => undefined);
  return result;
}

beforeAll(async () => {
  rig = await startRig();
  await Promise.all(users.map((u) => rig.seed(u)));
  plans = users.map((u) => rig.plan(u));
  const started = Date.now();
  const saves = path.join(os.tmpdir(), `keyrot-sigkill-saves-${process.pid}.txt`);
  const whole = await rig.run(plans[0]!, { KEYROT_TEST_SAVES: saves });
  if (whole.code !== 0) throw new Error(`an unkilled rotation failed: ${whole.stderr}`);
  rotationMs = Date.now() - started;
  FAULTS = savePointsIn(saves);
  rmSync(saves, { force: true });
}, 300_000);
afterAll(() => rig?.close());

const SUITE = `SIGKILL during aws-iam -> vault-kv2 + aws-secrets-manager + file rotations (seed ${SEED})`;
describe.concurrent(SUITE, () => {
  it.each(Array.from({ length: KILLS }, (_, i) => i + 1))(`kill %i of ${KILLS}: converges to one active key served everywhere`, (n) => inLane(n % LANES, async () => {
    const user = users[n % LANES]!;
    const plan = plans[n % LANES]!;
    const held: string[] = await rig.secretsHeld(user);
    let where = '';
    let killed = false;
    const outputs: string[] = [];
    for (let attempt = 0; attempt < 4 && !killed; attempt++) {
      const fault = n % 3 === 0 || attempt === 3 ? FAULTS[Math.floor(n / 3 + attempt) % FAULTS.length]! : undefined;
      const delay = Math.round(100 + draws[n]![attempt]! * rotationMs * (1 - attempt * 0.25));
      where = `${user}: ${fault ?? `${delay} ms`}`;
      const { child, done } = rig.start(plan, fault ? { KEYROT_TEST_KILL_AFTER: fault } : {});
      const timer = fault ? undefined : setTimeout(() => child.kill('SIGKILL'), delay);
      const result = await done;
      clearTimeout(timer);
      outputs.push(result.stdout, result.stderr);
      killed = result.signal === 'SIGKILL';
      if (killed) recordFaults(SUITE, { [fault ? 'SIGKILL right after a save' : 'SIGKILL after a random delay']: 1 });
      expect((await rig.iamKeys(user)).length, `${where}: keys after the kill`).toBeLessThanOrEqual(2);
    }
    expect(killed, `no kill landed (${where})`).toBe(true);

    const resumed = await rig.settle(plan);
    outputs.push(...resumed.flatMap((r) => [r.stdout, r.stderr]));
    expect(resumed.at(-1)?.code, `${where}: ${resumed.at(-1)?.stderr}`).toBe(0);
    expect(await rig.converged(user), where).toEqual([]);
    held.push(...(await rig.secretsHeld(user)));
    expect(leakedIndexes([...outputs, rig.keyrotFiles()].join('\n'), held), where).toEqual([]);
  }), 180_000);
});
