// Usage gates against a real Prometheus (Debian's 2.42, 1 s scrapes) scraping an exporter whose fake
// consumer the test steers: which key it sends, and when it switches. The engine runs in-process on
// a fake clock for its own waits (overlap, maxWait, soak); only Prometheus' scrapes take real time.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { exitCodeOf } from '../../src/engine/outcome.js';
import { keyrot } from '../helpers/cli.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { load, run, stateDirOf } from '../helpers/engine.js';
import { readAudit, readLedger, readState, readStore } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { SCRAPE_MS, startExporter, startPrometheus, type Exporter, type Prometheus } from '../peers/prometheus.js';

const MIN = 60_000;
const QUIET_MS = 4_000; // lastUsed.quietFor and soak: real seconds, since Prometheus counts in real time
const QUERY = 'sum(increase(api_requests_total{key_id="{{keyId}}"}[{{window}}]))';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let service: Exporter;
let prom: Prometheus;
let ws: Workspace;
let clock: FakeClock;

beforeAll(async () => {
  service = await startExporter();
  prom = await startPrometheus([service.target]);
});
afterAll(async () => {
  await prom?.stop();
  await service?.stop();
});
beforeEach(() => {
  ws = workspace();
  clock = new FakeClock();
  service.consumer(null);
});
afterEach(() => ws.cleanup());

const writePlan = (usage: Record<string, unknown> = {}) =>
  ws.plan(
    'api',
    localPlan('api', {
      lastUsed: { quietFor: `${QUIET_MS / 1000}s`, maxWait: '1h' },
      soak: `${QUIET_MS / 1000}s`,
      usage: { type: 'prometheus', url: prom.url, query: QUERY, interval: '1s', timeout: '5s', ...usage },
    }),
  );

const go = async (file: string) => run(await load(file), clock, { wait: false });
const served = () => readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId;
const stateDir = async (file: string) => stateDirOf(await load(file));
const ledgerStatus = async (file: string, id: string) => readLedger(await stateDir(file), 'api').find((k) => k.id === id)?.status ?? 'deleted';
const held = (events: RunEvent[]) => events.find((e): e is Extract<RunEvent, { type: 'held' }> => e.type === 'held');
const requestsIn = (keyId: string, ms: number) => `sum(increase(api_requests_total{key_id="${keyId}"}[${Math.ceil(ms / 1000)}s]))`;

/** Issue the first key and have the consumer use it until Prometheus has counted it (a fresh series needs 2+ scrapes). */
async function consumerOnFirstKey(file: string): Promise<string> {
  expect((await go(file)).outcome.status).toBe('done');
  const first = served();
  service.consumer(first);
  await prom.until(requestsIn(first, 3 * SCRAPE_MS), (v) => (v ?? 0) > 0);
  return first;
}

/** Start the rotation and run through the overlap window (on the fake clock): the next run asks the usage gate. */
async function rotateThroughDrain(file: string): Promise<string> {
  expect((await go(file)).outcome.status).toBe('waiting');
  clock.advance(15 * MIN);
  return served();
}

/**
 * Run until the rotation leaves last-used (the old key went quiet and was deactivated), stepping the
 * fake clock with the real one. Returns how often the gate said "not quiet yet" first.
 */
async function untilDeactivated(file: string): Promise<number> {
  let waits = 0;
  for (const end = Date.now() + 20_000; Date.now() < end; waits++) {
    const { outcome } = await go(file);
    const state = readState(await stateDir(file), 'api')!;
    if (state.phase !== 'last-used') {
      expect(outcome.status).toBe('waiting'); // soaking
      expect(state.phase).toBe('soak');
      return waits;
    }
    expect(outcome.status).toBe('waiting');
    await sleep(SCRAPE_MS);
    clock.advance(SCRAPE_MS);
  }
  throw new Error('the old key never went quiet');
}

describe('usage gates on a real Prometheus', () => {
  it('the exporter speaks the exposition format Prometheus reads (promtool check metrics)', () => {
    service.request('key-0123456789ab', 3);
    expect(() => execFileSync('promtool', ['check', 'metrics'], { input: service.metrics(), stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
  });

  it('the consumer switches in time: deactivated once the old key is quiet, deleted after a soak with no request, evidence audited', async () => {
    const file = writePlan();
    const old = await consumerOnFirstKey(file);
    const next = await rotateThroughDrain(file);
    service.consumer(next);

    const waits = await untilDeactivated(file);
    expect(waits).toBeGreaterThan(0); // the old key was still counted right after the switch
    expect(await ledgerStatus(file, old)).toBe('inactive');

    clock.advance(QUIET_MS);
    const { outcome } = await go(file);
    expect(outcome.status).toBe('done');
    expect(await ledgerStatus(file, old)).toBe('deleted');
    expect(await ledgerStatus(file, next)).toBe('active');

    const evidence = readAudit(await stateDir(file)).filter((r) => r.action === 'gate-evidence');
    const asked = `prometheus http://127.0.0.1:${new URL(prom.url).port}: sum(increase(api_requests_total{key_id="${old}"}[4s]))`;
    expect(evidence.filter((r) => r.phase === 'last-used').at(-1)).toMatchObject({ outcome: 'ok', detail: expect.stringMatching(new RegExp(`^${escape(asked)} = 0 at \\d{4}-`)) });
    expect(evidence.filter((r) => r.phase === 'last-used')[0]!.detail).toMatch(/ = [1-9][\d.]* at /); // still used right after the switch
    expect(evidence.filter((r) => r.phase === 'delete')).toEqual([expect.objectContaining({ detail: expect.stringMatching(new RegExp(`^${escape(asked)} = 0 at `)) })]);
  });

  it('a consumer that keeps the old key: held before deactivate (exit 3) with the count, the old key still active', async () => {
    const file = writePlan();
    const old = await consumerOnFirstKey(file);
    await rotateThroughDrain(file);

    const asking = await go(file);
    expect(asking.outcome.status).toBe('waiting'); // asked again after `interval`
    expect(asking.events).toContainEqual(expect.objectContaining({ type: 'waiting', phase: 'last-used', reason: expect.stringMatching(/times? in the last 4s/) }));

    clock.advance(61 * MIN); // past maxWait: 1h
    const { outcome, events } = await go(file);
    expect(outcome).toEqual({ status: 'held', code: 'old-key-in-use' });
    expect(exitCodeOf(outcome)).toBe(3);
    expect(held(events)!.message).toMatch(new RegExp(`old key ${old} was still used (about )?\\d+ times? in the last 4s \\(prometheus http://127\\.0\\.0\\.1:\\d+\\) after waiting 1h`));
    expect(await ledgerStatus(file, old)).toBe('active');
  });

  it('a consumer that starts again with the old key during the soak: held before delete with the count, rollback suggested', async () => {
    const file = writePlan();
    const old = await consumerOnFirstKey(file);
    const next = await rotateThroughDrain(file);
    service.consumer(next);
    await untilDeactivated(file);

    service.consumer(old); // a stale replica comes back with the old key
    await prom.until(requestsIn(old, QUIET_MS), (v) => (v ?? 0) > 0);
    clock.advance(QUIET_MS);
    const { outcome, events } = await go(file);

    expect(outcome).toEqual({ status: 'held', code: 'used-after-deactivate' });
    expect(exitCodeOf(outcome)).toBe(3);
    const h = held(events)!;
    expect(h.message).toMatch(new RegExp(`old key ${old} was used (about )?\\d+ times? \\(prometheus http://127\\.0\\.0\\.1:\\d+\\), after it was deactivated at .*; not deleting it`));
    expect(h.hint).toContain(`keyrot rollback ${file}`);
    expect(await ledgerStatus(file, old)).toBe('inactive');
  });

  it('keyrot plan asks the query now and shows the answer: the count while the old key is used, the reason when there is none', async () => {
    const file = writePlan();
    const old = await consumerOnFirstKey(file);
    const used = await keyrot(['plan', file], { cwd: ws.dir });
    expect(used.code).toBe(0);
    expect(used.stdout).toMatch(new RegExp(`last-used .*\\n(.*\\n)*?\\s+now {4}would wait until \\S+: prometheus http://127\\.0\\.0\\.1:\\d+: ${escape(`sum(increase(api_requests_total{key_id="${old}"}[4s]))`)} = [1-9][\\d.]* at \\S+`));

    const down = await startPrometheus([service.target]);
    await down.stop();
    const unanswered = await keyrot(['plan', writePlan({ url: down.url })], { cwd: ws.dir });
    expect(unanswered.code).toBe(3); // as `keyrot run` would be held
    expect(unanswered.stdout).toMatch(/now {4}would hold: usage-unknown: .*gave no answer at .*ECONNREFUSED/);
  });

  it('keyrot doctor asks the query about the active key: passes while it answers, fails (exit 4) when Prometheus is down', async () => {
    const file = writePlan();
    const key = await consumerOnFirstKey(file);
    const usageOf = (stdout: string) =>
      (JSON.parse(stdout) as { plans: Array<{ providers: Array<{ role: string; provider: string; checks: Array<{ status: string; detail: string; hint?: string }> }> }> })
        .plans[0]!.providers.find((p) => p.role === 'usage')!;

    const fine = await keyrot(['doctor', '--output', 'json', file], { cwd: ws.dir });
    expect(fine.code).toBe(0);
    expect(usageOf(fine.stdout)).toMatchObject({
      provider: expect.stringMatching(/^prometheus http:\/\/127\.0\.0\.1:\d+$/),
      checks: [{ status: 'pass', detail: expect.stringMatching(new RegExp(`${escape(`{key_id="${key}"}[4s]))`)} = [1-9][\\d.]* at .*: active key ${key} used`)) }],
    });

    const down = await startPrometheus([service.target]);
    await down.stop();
    const broken = await keyrot(['doctor', '--output', 'json', writePlan({ url: down.url })], { cwd: ws.dir });
    expect(broken.code).toBe(4);
    expect(usageOf(broken.stdout).checks).toEqual([expect.objectContaining({ status: 'fail', detail: expect.stringMatching(/gave no answer at .*ECONNREFUSED/), hint: expect.stringContaining('keyrot doctor') })]);
  });

  it('Prometheus down: held before deactivate and says why; no answer is not zero requests', async () => {
    const down = await startPrometheus([service.target]);
    await down.stop();
    const file = writePlan({ url: down.url });
    expect((await go(file)).outcome.status).toBe('done');
    const old = served();
    await rotateThroughDrain(file);

    const { outcome, events } = await go(file);
    expect(outcome).toEqual({ status: 'held', code: 'usage-unknown' });
    expect(held(events)!.message).toMatch(new RegExp(`cannot tell whether old key ${old} is still used: prometheus http://127\\.0\\.0\\.1:\\d+ did not answer: .*ECONNREFUSED.*; not deactivating it`));
    expect(held(events)!.hint).toContain(`keyrot plan ${file}`);
    expect(await ledgerStatus(file, old)).toBe('active');
    expect(readAudit(await stateDir(file)).find((r) => r.action === 'gate-evidence')!.detail).toMatch(/gave no answer at .*ECONNREFUSED/);
  });

  it.each([
    ['returns no series', 'sum(increase(api_calls_total{key_id="{{keyId}}"}[{{window}}]))', /the query returned no series/],
    ['is refused by Prometheus', 'sum(increase(api_requests_total{key_id="{{keyId}}"}[{{window}}])', /refused the query \(HTTP 400, bad_data\): .*parse error/],
  ])('a query that %s: held, not taken as unused', async (_, query, reason) => {
    const file = writePlan({ query });
    const old = await consumerOnFirstKey(file);
    service.consumer(null); // quiet, as far as the right query would tell
    await rotateThroughDrain(file);

    const { outcome, events } = await go(file);
    expect(outcome).toEqual({ status: 'held', code: 'usage-unknown' });
    expect(held(events)!.message).toMatch(reason);
    expect(await ledgerStatus(file, old)).toBe('active');
  });
});

describe('the numbers real Prometheus writes', () => {
  // util/jsonutil MarshalFloat: 'e' notation below 1e-6 and from 1e21, and NaN, +Inf, -Inf. The first
  // two are counts keyrot must read (a use, however small); the others are no count and hold the gate.
  const base = '(sum(increase(api_requests_total{key_id="{{keyId}}"}[{{window}}])) or vector(0)) * 0';
  it.each([
    ['1e-09', `${base} + 1e-9`, 'waiting', /used about 1\.0e-9 times in the last 4s/],
    ['1e+21', `${base} + 1e21`, 'waiting', /used 1e\+21 times in the last 4s/],
    ['NaN', `${base} / 0`, 'held', /the query returned NaN, not a count of requests/],
    ['+Inf', `${base} + 1 / 0`, 'held', /the query returned \+Inf, not a count of requests/],
    ['-1', `${base} - 1`, 'held', /the query returned -1, not a count of requests/],
  ])('an answer of %s: %s', async (written, query, status, said) => {
    const answer = await prom.query(query.replace('{{keyId}}', 'k').replace('{{window}}', '4s'));
    expect(answer.data!.result[0]!.value[1]).toBe(written); // what Prometheus itself wrote
    const file = writePlan({ query });
    expect((await go(file)).outcome.status).toBe('done');
    const old = served();
    await rotateThroughDrain(file);
    const { outcome, events } = await go(file);
    expect(outcome.status).toBe(status);
    const told = status === 'held' ? held(events)!.message : (events.find((e) => e.type === 'waiting') as { reason: string }).reason;
    expect(told).toMatch(said);
    expect(await ledgerStatus(file, old)).toBe('active');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
