// Issue 12, harness item 3: a fault-injecting proxy on 127.0.0.1 in front of moto (IAM, STS, Secrets
// Manager) and OpenBao throttles, answers 5xx, resets connections, stalls requests (past the plan's
// 2s request timeout) and, since issue 25, stalls the body after the real answer's headers, at a chosen rate. Every run must finish or stop cleanly (exit 0, 3 or 4 with a
// message, never an internal error or a stack trace), the issuer must never hold more than two keys,
// and once the network is healthy again a re-run finishes with one key, served everywhere.
// Short form under `npm test` (2 rotations); KEYROT_RELIABILITY=long: 20.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { type Endpoints, LONG, type Rig, seeded, startRig } from './kit.js';
import { recordFaults } from './faults.js';

const ROTATIONS = LONG ? 20 : 2;
const RATE = Number(process.env.KEYROT_FAULT_RATE ?? 0.12);
const SEED = Number(process.env.KEYROT_RELIABILITY_SEED ?? 20261201);
// stall-body: the real answer's headers, then a body that never ends (issue 25); the long form also drips it.
const KINDS: Fault[] = ['throttle', 'error', 'reset', 'stall', 'stall-body', ...(LONG ? (['drip-body'] as const) : [])];
const USER = 'faulty-svc';
/** Runs with faults on before the network heals: each must finish or stop cleanly. */
const FAULTY_RUNS = 4;

let rig: Rig;
let aws: ForwardingProxy;
let vault: ForwardingProxy;
let via: Endpoints;
let plan: string;
const random = seeded(SEED);

beforeAll(async () => {
  rig = await startRig();
  [aws, vault] = await Promise.all([startForwardingProxy(rig.moto.endpoint, undefined, { keepHost: true }), startForwardingProxy(rig.bao.address)]);
  via = { aws: aws.address, vault: vault.address };
  await rig.seed(USER, via);
  plan = rig.plan(USER, {}, via, '2s');
}, 300_000);
afterAll(async () => {
  await Promise.all([aws?.close(), vault?.close()]);
  await rig?.close();
});

const faults = (on: boolean) => {
  const choose = on ? () => (random() < RATE ? KINDS[Math.floor(random() * KINDS.length)] : undefined) : undefined;
  aws.injectFaults(choose);
  vault.injectFaults(choose);
};

const SUITE = `throttling, 5xx, resets and stalls on ${Math.round(RATE * 100)}% of requests to moto and OpenBao (seed ${SEED})`;
describe(SUITE, () => {
  afterAll(() => recordFaults(SUITE, Object.fromEntries(Object.entries(aws.injected).map(([k, n]) => [`${k} (moto)`, n]).concat(Object.entries(vault.injected).map(([k, n]) => [`${k} (OpenBao)`, n])))));

  it.each(Array.from({ length: ROTATIONS }, (_, i) => i + 1))(`rotation %i of ${ROTATIONS}: every run finishes or holds cleanly; no duplicate key`, async (n) => {
    const codes: Array<number | null> = [];
    faults(true);
    try {
      for (let i = 0; i < FAULTY_RUNS; i++) {
        const r = await rig.run(plan, {}, [], via);
        codes.push(r.code);
        const said = r.stdout + r.stderr;
        expect([0, 3, 4], `rotation ${n}, run ${i + 1}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
        expect(said, `rotation ${n}, run ${i + 1}`).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?\n/);
        if (r.code !== 0) expect(r.stderr, `rotation ${n}, run ${i + 1}: a stop says why`).toMatch(/\S/);
        expect((await rig.iamKeys(USER)).length, `rotation ${n}, run ${i + 1}: keys`).toBeLessThanOrEqual(2);
        if (r.code === 0) break;
      }
    } finally {
      faults(false);
    }
    if (codes.at(-1) !== 0) {
      const healed = await rig.settle(plan, 3, via);
      expect(healed.at(-1)?.code, `rotation ${n} once healthy: ${healed.at(-1)?.stderr}`).toBe(0);
    }
    expect(await rig.converged(USER)).toEqual([]);
  }, 240_000);

  it('the proxies injected faults (a pass with none would prove nothing)', () => {
    expect(Object.values(aws.injected).reduce((a, b) => a + b, 0) + Object.values(vault.injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
