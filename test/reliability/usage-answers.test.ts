// Issue 25, defects 1-3: hostile usage answers. A local HTTP server answers the usage question with
// one entry of a table of bodies and statuses that Prometheus (or a last-use endpoint) would never
// send; real Prometheus cannot be made to send them, so this server is the honest peer. Each answer
// goes through the engine's gates as a user's run would: before deactivate, and before delete (after a
// good "unused" answer at deactivate). Each must hold (usage-unknown, exit 3) with the key untouched;
// none may open the gate, crash (exit 1), or put a control character into what the user reads.
// A few go through the built binary too: exit code, output and no stack trace, as the user sees them.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { exitCodeOf } from '../../src/engine/outcome.js';
import { keyrot } from '../helpers/cli.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { load, run, stateDirOf } from '../helpers/engine.js';
import { readLedger } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { recordFaults } from './faults.js';

const MIN = 60_000;
const T = 1767225600; // 2026-01-01T00:00:00Z, Prometheus' evaluation time in the good answers
const QUERY = 'sum(increase(api_requests_total{key_id="{{keyId}}"}[{{window}}]))';
const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\r\nkeyrot: old key deleted\u202e\u0000';
/** A control character, DEL, a C1 control or a bidi override: none may reach the terminal from an answer. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

type Source = 'prometheus' | 'http';
interface Answer {
  status: number;
  body: string;
}
const json = (body: unknown, status = 200): Answer => ({ status, body: JSON.stringify(body) });
const vectorOf = (...samples: unknown[]) => ({ status: 'success', data: { resultType: 'vector', result: samples.map((value, i) => ({ metric: { i: String(i) }, value })) } });
const sample = (value: unknown, at: unknown = T) => json(vectorOf([at, value]));
const raw = (body: string, status = 200): Answer => ({ status, body });

/** What the sources would say when all is well and the key is unused. */
const GOOD: Record<Source, Answer> = { prometheus: sample('0'), http: json({ lastUsedAt: null }) };

const hostileAnswers: Array<[string, Source, Answer]> = [
  // sample values Number() reads as 0, or as no finite count
  ['value ""', 'prometheus', sample('')],
  ['value " "', 'prometheus', sample(' ')],
  ['value "0x0"', 'prometheus', sample('0x0')],
  ['value "+0"', 'prometheus', sample('+0')],
  ['value "0 " (trailing blank)', 'prometheus', sample('0 ')],
  ['value "Infinity"', 'prometheus', sample('Infinity')],
  ['value "1e400" (beyond a double)', 'prometheus', sample('1e400')],
  ['value "NaN"', 'prometheus', sample('NaN')],
  ['value "+Inf"', 'prometheus', sample('+Inf')],
  ['value "-1"', 'prometheus', sample('-1')],
  ['values "5" and "-5" (sum 0)', 'prometheus', json(vectorOf([T, '5'], [T, '-5']))],
  ['value 0 as a JSON number', 'prometheus', sample(0)],
  ['value null', 'prometheus', sample(null)],
  ['value true', 'prometheus', sample(true)],
  ['value with escape sequences', 'prometheus', sample(`${HOSTILE}0`)],
  ['one good series and one junk', 'prometheus', json(vectorOf([T, '0'], [T, '']))],
  ['a scalar " "', 'prometheus', json({ status: 'success', data: { resultType: 'scalar', result: [T, ' '] } })],
  // timestamps
  ['timestamp 1e20', 'prometheus', sample('0', 1e20)],
  ['timestamp -1e15', 'prometheus', sample('0', -1e15)],
  ['timestamp 1e400 (Infinity once parsed)', 'prometheus', raw(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1e400,"0"]}]}}`)],
  ['timestamp as a string', 'prometheus', sample('0', String(T))],
  // shapes
  ['a sample of three items', 'prometheus', json(vectorOf([T, '0', '0']))],
  ['a sample as an object', 'prometheus', json(vectorOf({ t: T, v: '0' }))],
  ['a histogram and no value', 'prometheus', json({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, histogram: [T, { count: '0', sum: '0' }] }] } })],
  ['metric labels that are not strings', 'prometheus', json({ status: 'success', data: { resultType: 'vector', result: [{ metric: { [HOSTILE]: 5 }, value: [T, '0'] }] } })],
  ['result null', 'prometheus', json({ status: 'success', data: { resultType: 'vector', result: null } })],
  ['result an object', 'prometheus', json({ status: 'success', data: { resultType: 'vector', result: {} } })],
  ['no series at all', 'prometheus', json(vectorOf())],
  ['a matrix', 'prometheus', json({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[T, '0']] }] } })],
  ['a string result', 'prometheus', json({ status: 'success', data: { resultType: 'string', result: [T, '0'] } })],
  ['no resultType', 'prometheus', json({ status: 'success', data: { result: [{ metric: {}, value: [T, '0'] }] } })],
  ['a hostile resultType', 'prometheus', json({ status: 'success', data: { resultType: HOSTILE, result: [] } })],
  ['no data', 'prometheus', json({ status: 'success' })],
  ['status "succes"', 'prometheus', json({ ...vectorOf([T, '0']), status: 'succes' })],
  ['no status', 'prometheus', json({ data: vectorOf([T, '0']).data })],
  ['an empty body', 'prometheus', raw('')],
  ['the body null', 'prometheus', raw('null')],
  ['the body []', 'prometheus', raw('[]')],
  ['the body "0"', 'prometheus', raw('0')],
  ['truncated JSON', 'prometheus', raw(JSON.stringify(vectorOf([T, '0'])).slice(0, 60))],
  ['HTML', 'prometheus', raw('<html><body>0</body></html>')],
  ['JSON nested 200,000 deep', 'prometheus', raw(`{"status":"success","data":{"resultType":"vector","result":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`)],
  ['a body over 1 MiB', 'prometheus', raw(JSON.stringify({ ...vectorOf([T, '0']), padding: 'x'.repeat(1 << 20) }))],
  // statuses
  ['HTTP 500 saying success', 'prometheus', json(vectorOf([T, '0']), 500)],
  ['HTTP 503 saying success', 'prometheus', json(vectorOf([T, '0']), 503)],
  ['HTTP 404 saying success', 'prometheus', json(vectorOf([T, '0']), 404)],
  ['HTTP 302 saying success', 'prometheus', json(vectorOf([T, '0']), 302)],
  ['HTTP 204 with no body', 'prometheus', raw('', 204)],
  ['HTTP 200 saying error', 'prometheus', json({ status: 'error', errorType: 'execution', error: 'query timed out' })],
  ['HTTP 422 with a hostile error text', 'prometheus', json({ status: 'error', errorType: HOSTILE, error: `bad query ${HOSTILE}` }, 422)],
  ['HTTP 400 with no error text', 'prometheus', json({ status: 'error' }, 400)],
  // the http (last-use) source
  ['HTTP 500 with lastUsedAt null', 'http', json({ lastUsedAt: null }, 500)],
  ['HTTP 301 with lastUsedAt null', 'http', json({ lastUsedAt: null }, 301)],
  ['lastUsedAt "0" (Date.parse: 2000-01-01)', 'http', json({ lastUsedAt: '0' })],
  ['lastUsedAt "12" (Date.parse: 2001-12-01)', 'http', json({ lastUsedAt: '12' })],
  ['lastUsedAt a date without a time', 'http', json({ lastUsedAt: '2025-12-31' })],
  ['lastUsedAt a time without a zone', 'http', json({ lastUsedAt: '2025-12-31T23:50:00' })],
  ['lastUsedAt ""', 'http', json({ lastUsedAt: '' })],
  ['lastUsedAt a number', 'http', json({ lastUsedAt: T })],
  ['lastUsedAt with escape sequences', 'http', json({ lastUsedAt: `${HOSTILE}2025-12-31T23:50:00Z` })],
  ['lastUsedAt missing', 'http', json({})],
  ['the body null (http)', 'http', raw('null')],
  ['not JSON (http)', 'http', raw('lastUsedAt=null')],
];

/** The server's answer per case id: the hostile one, or GOOD until the test switches it. */
const answers = new Map<string, Answer>();
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const id = /^\/c\/([^/]+)\//.exec(req.url ?? '')?.[1];
    const answer = (id && answers.get(id)) || { status: 599, body: '' };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let ws: Workspace;
let clock: FakeClock;
beforeEach(() => {
  ws = workspace();
  clock = new FakeClock();
});
afterEach(() => ws.cleanup());

const usageBlock = (source: Source, id: string, timers: { drain: string; soak: string }) => ({
  ...timers,
  lastUsed: { quietFor: '30m', maxWait: '24h' },
  usage: source === 'prometheus'
    ? { type: 'prometheus', url: `${base}/c/${id}`, query: QUERY, timeout: '5s', interval: '1m' }
    : { type: 'http', url: `${base}/c/${id}/keys/{{keyId}}/last-use`, timeout: '5s', interval: '1m' },
});

const held = (events: RunEvent[]) => events.find((e): e is Extract<RunEvent, { type: 'held' }> => e.type === 'held');

/** What the user reads of a held run: message and hint; no control character may be in them. */
function expectHeldCleanly(outcome: Awaited<ReturnType<typeof run>>['outcome'], events: RunEvent[], step: string) {
  expect(outcome).toEqual({ status: 'held', code: 'usage-unknown' });
  expect(exitCodeOf(outcome)).toBe(3);
  const h = held(events)!;
  expect(h.message).toMatch(new RegExp(`^cannot tell whether old key \\S+ is still used: .+; not ${step} it`));
  expect(`${h.message}\n${h.hint}`).not.toMatch(UNPRINTABLE);
  expect(JSON.stringify(events)).not.toContain('pwned\\u0007'); // the escape sequence itself, not its escaped text
}

describe(`hostile usage answers hold both gates (${hostileAnswers.length} answers)`, () => {
  afterAll(() => recordFaults(`hostile usage answers hold both gates (${hostileAnswers.length} answers)`, { 'hostile answer before deactivate': hostileAnswers.length, 'hostile answer before delete': hostileAnswers.length }));

  it.each(hostileAnswers.map(([what, source, answer], i) => [what, source, answer, `d${i}`] as const))(
    'before deactivate: %s (%s source) holds, the old key stays active',
    async (_, source, answer, id) => {
      const file = ws.plan('api', localPlan('api', usageBlock(source, id, { drain: '15m', soak: '7d' })));
      const loaded = await load(file);
      answers.set(id, answer);
      expect((await run(loaded, clock, { wait: false })).outcome.status).toBe('done'); // the first key: no gate
      const old = readLedger(stateDirOf(loaded), 'api')[0]!.id;
      expect((await run(loaded, clock, { wait: false })).outcome.status).toBe('waiting'); // the overlap window
      clock.advance(15 * MIN);
      const { outcome, events } = await run(loaded, clock, { wait: false });
      expectHeldCleanly(outcome, events, 'deactivating');
      expect(readLedger(stateDirOf(loaded), 'api').find((k) => k.id === old)?.status).toBe('active');
    },
  );

  it.each(hostileAnswers.map(([what, source, answer], i) => [what, source, answer, `x${i}`] as const))(
    'before delete: %s (%s source) holds, the old key stays inactive, not deleted',
    async (_, source, answer, id) => {
      const file = ws.plan('api', localPlan('api', usageBlock(source, id, { drain: '15m', soak: '7d' })));
      const loaded = await load(file);
      answers.set(id, GOOD[source]);
      await run(loaded, clock, { wait: false });
      const old = readLedger(stateDirOf(loaded), 'api')[0]!.id;
      await run(loaded, clock, { wait: false });
      clock.advance(15 * MIN);
      expect((await run(loaded, clock, { wait: false })).outcome.status).toBe('waiting'); // unused: deactivated, soaking
      expect(readLedger(stateDirOf(loaded), 'api').find((k) => k.id === old)?.status).toBe('inactive');
      answers.set(id, answer);
      clock.advance(7 * 24 * 60 * MIN);
      const { outcome, events } = await run(loaded, clock, { wait: false });
      expectHeldCleanly(outcome, events, 'deleting');
      expect(readLedger(stateDirOf(loaded), 'api').find((k) => k.id === old)?.status).toBe('inactive');
    },
  );
});

describe('hostile usage answers through the built binary', () => {
  afterAll(() => recordFaults('hostile usage answers through the built binary', { 'hostile answer through the binary': throughCli.length }));

  const throughCli = hostileAnswers.filter(([what]) =>
    ['value " "', 'timestamp 1e20', 'timestamp -1e15', 'HTTP 500 saying success', 'HTTP 422 with a hostile error text', 'lastUsedAt "0" (Date.parse: 2000-01-01)'].includes(what));

  it.each(throughCli.map(([what, source, answer], i) => [what, source, answer, `cli${i}`] as const))(
    '%s (%s source): keyrot run exits 3 naming usage-unknown, no stack trace, no control character; the old key stays active',
    async (_, source, answer, id) => {
      const file = ws.plan('api', localPlan('api', usageBlock(source, id, { drain: '0s', soak: '0s' })));
      answers.set(id, answer);
      expect((await keyrot(['run', '--yes', '--no-wait', file], { cwd: ws.dir })).code).toBe(0);
      const r = await keyrot(['run', '--yes', '--no-wait', file], { cwd: ws.dir });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout + r.stderr).toMatch(/cannot tell whether old key \S+ is still used: .+; not deactivating it/);
      expect(r.stdout + r.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?\n/);
      expect(r.stdout + r.stderr).not.toMatch(UNPRINTABLE);
      expect(readLedger(stateDirOf(await load(file)), 'api').filter((k) => k.status === 'active')).toHaveLength(2);

      const json = await keyrot(['run', '--yes', '--no-wait', '--output', 'json', file], { cwd: ws.dir });
      expect(json.code).toBe(3);
      expect(json.stdout).not.toMatch(UNPRINTABLE);
      for (const line of json.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    },
  );
});

describe('a usage URL as keyrot shows it', () => {
  it('keyrot plan shows an http usage source as origin and path: the query string (?apikey=…) never', async () => {
    const id = 'url';
    const plan = localPlan('api', usageBlock('http', id, { drain: '15m', soak: '7d' }));
    (plan.usage as { url: string }).url += '?apikey=query-token-0123456789&x=1';
    const file = ws.plan('api', plan);
    answers.set(id, GOOD.http);
    expect((await keyrot(['run', '--yes', '--no-wait', file], { cwd: ws.dir })).code).toBe(0);
    for (const output of ['text', 'json']) {
      const r = await keyrot(['plan', '--output', output, file], { cwd: ws.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`GET ${base}/c/${id}/keys/{{keyId}}/last-use for the last use`);
      expect(r.stdout + r.stderr).not.toContain('query-token-0123456789');
    }
  });
});
