// Issue 12, harness item 1: SIGKILL of the real binary at random moments of an aws-iam rotation into
// Vault KV v2 (OpenBao), Secrets Manager (moto) and a file. A third of the kills land on fault points
// inside create and publish and at every phase boundary (KEYROT_FAULT_KILL_AT=phase:stage#n), the rest
// after a random delay. After each kill, keyrot is run again as cron would, and then: one active
// key, served by every target, authenticating; no orphan; never more than two keys; the audit log
// complete and in order; no secret in anything keyrot printed or wrote.
// Short form under `npm test` (20 kills); KEYROT_RELIABILITY=long: 100 kills.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedIndexes } from '../helpers/inspect.js';
import { LONG, type Rig, seeded, startRig } from './kit.js';

const KILLS = LONG ? 100 : 20;
const SEED = Number(process.env.KEYROT_RELIABILITY_SEED ?? 20261201);
const FAULTS = [
  'create:acting#1', 'create:acting#2', 'create:acting#3', 'publish:acting#1', 'publish:acting#2', 'publish:acting#3', 'publish:acting#4',
  'verify:acting', 'drain:waiting', 'deactivate:acting#1', 'deactivate:acting#2', 'deactivate:acting#4', 'soak:waiting', 'delete:acting#1', 'delete:acting#3',
];
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
  const whole = await rig.run(plans[0]!);
  if (whole.code !== 0) throw new Error(`an unkilled rotation failed: ${whole.stderr}`);
  rotationMs = Date.now() - started;
}, 300_000);
afterAll(() => rig?.close());

describe.concurrent(`SIGKILL during aws-iam -> vault-kv2 + aws-secrets-manager + file rotations (seed ${SEED})`, () => {
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
      const { child, done } = rig.start(plan, fault ? { KEYROT_FAULT_KILL_AT: fault } : {});
      const timer = fault ? undefined : setTimeout(() => child.kill('SIGKILL'), delay);
      const result = await done;
      clearTimeout(timer);
      outputs.push(result.stdout, result.stderr);
      killed = result.signal === 'SIGKILL';
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
