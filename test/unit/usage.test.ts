// The usage sources (Prometheus, a last-use endpoint) against small local servers whose answers the
// test writes, and the usage gates on in-memory fakes: both the issuer and the metrics must agree.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planSchema } from '../../src/plan/schema.js';
import { z } from 'zod';
import { whatIsWrong } from '../../src/providers/usage/answers.js';
import { createHttpUsage } from '../../src/providers/usage/http.js';
import { createPrometheusUsage } from '../../src/providers/usage/prometheus.js';
import { httpUsageSchema, prometheusUsageSchema } from '../../src/providers/usage/schema.js';
import { usedIn, type UsageAnswer, type UsageSource } from '../../src/providers/usage/source.js';
import type { ProviderContext } from '../../src/providers/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeIssuer, FakeStore } from '../helpers/fakes.js';
import { rollBack } from '../../src/engine/runner.js';
import { decide, planObject, revoke, run, stateDirOf } from '../helpers/engine.js';
import { readAudit } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

const MIN = 60_000;
const NOW = new Date('2026-01-01T00:00:00Z');
const QUERY = 'sum(increase(api_requests_total{key_id="{{keyId}}"}[{{window}}]))';

type Reply = (req: IncomingMessage) => { status?: number; body: unknown } | 'silence';
let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  servers = [];
});

/** A server on 127.0.0.1 answering as `reply` says; `seen` collects what it was asked. */
async function serve(reply: Reply, tls?: { key: string; cert: string }): Promise<{ url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    seen.push(req);
    const r = reply(req);
    if (r === 'silence') return;
    res.writeHead(r.status ?? 200, { 'content-type': 'application/json' }).end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  };
  const server = tls ? createHttps(tls, handler) : createHttp(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

const providerContext = (env: NodeJS.ProcessEnv = {}, planDir = os.tmpdir()): ProviderContext =>
  ({ planName: 'api', planDir, stateDir: planDir, env, now: () => NOW, note: () => undefined });

const prometheus = (url: string, extra: Record<string, unknown> = {}, env?: NodeJS.ProcessEnv, planDir?: string) =>
  createPrometheusUsage(prometheusUsageSchema.parse({ type: 'prometheus', url, query: QUERY, ...extra }), providerContext(env, planDir));

const vector = (...values: string[]) => ({ status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1767225600.5, v] })) } });
const ask = (source: UsageSource, keyId = 'key-1') => source.usedSince(keyId, new Date(NOW.getTime() - 30 * MIN), NOW);

describe('prometheus usage source', () => {
  it('asks an instant query with the key id and the window filled in, and sums the series', async () => {
    const { url, seen } = await serve(() => ({ body: vector('2', '1.5') }));
    const answer = await ask(prometheus(`${url}/prom/`), 'key-"x"');
    expect(answer).toMatchObject({ answered: true, requests: 3.5, value: '2 + 1.5', at: new Date(1767225600500) });
    expect(answer.query).toBe('sum(increase(api_requests_total{key_id="key-\\"x\\""}[1800s]))');
    expect(new URL(seen[0]!.url!, url).pathname).toBe('/prom/api/v1/query');
    expect(new URL(seen[0]!.url!, url).searchParams.get('query')).toBe(answer.query);
  });

  it('reads a scalar answer too', async () => {
    const { url } = await serve(() => ({ body: { status: 'success', data: { resultType: 'scalar', result: [1767225600, '0'] } } }));
    expect(await ask(prometheus(url))).toMatchObject({ answered: true, requests: 0 });
  });

  it.each([
    ['no series', () => ({ body: vector() }), /returned no series/],
    ['NaN', () => ({ body: vector('NaN') }), /returned NaN, not a count/],
    ['a range vector', () => ({ body: { status: 'success', data: { resultType: 'matrix', result: [] } } }), /returned a matrix result, not a number/],
    ['an error', () => ({ status: 422, body: { status: 'error', errorType: 'execution', error: 'query timed out' } }), /refused the query \(HTTP 422, execution\): query timed out/],
    ['HTML from a proxy', () => ({ status: 502, body: '<html>bad gateway</html>' }), /answered HTTP 502 with something that is not JSON/],
  ])('gives no answer (never zero) on %s', async (_, reply, reason) => {
    const { url } = await serve(reply as Reply);
    const answer = await ask(prometheus(url));
    expect(answer).toMatchObject({ answered: false, reason: expect.stringMatching(reason) });
  });

  // Prometheus writes a sample value with Go's strconv ('f', or 'e' below 1e-6 and from 1e21) or as
  // NaN, +Inf, -Inf (util/jsonutil MarshalFloat). Number() in JS reads "", " " and "0x0" as 0: junk
  // would count as "no requests" and the old key would be retired.
  it.each([
    ['an empty string', ''],
    ['a blank', ' '],
    ['hex', '0x0'],
    ['a leading plus', '+0'],
    ['a number and a word', '0 requests'],
    ['JavaScript\'s Infinity', 'Infinity'],
    ['a count too large for a double', '1e400'],
    ['+Inf', '+Inf'],
    ['a negative count', '-1'],
    ['a JSON number instead of a string', 0],
    ['null', null],
  ])('a sample value that is %s is no answer, never zero requests', async (_, value) => {
    const { url } = await serve(() => ({ body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1767225600, value] }] } } }));
    expect(await ask(prometheus(url))).toMatchObject({ answered: false });
    const { url: scalar } = await serve(() => ({ body: { status: 'success', data: { resultType: 'scalar', result: [1767225600, value] } } }));
    expect(await ask(prometheus(scalar))).toMatchObject({ answered: false });
  });

  it('one junk series among good ones is no answer; the forms Prometheus writes are read', async () => {
    const { url } = await serve(() => ({ body: vector('2', '') }));
    expect(await ask(prometheus(url))).toMatchObject({ answered: false, reason: expect.stringMatching(/value is not a number as Prometheus writes one/) });
    const { url: good } = await serve(() => ({ body: vector('0', '1e-07', '2.5', '1e+21') }));
    expect(await ask(prometheus(good))).toMatchObject({ answered: true, requests: 1e21 + 2.5 + 1e-7 });
  });

  it('a negative series beside a positive one is no answer, never a sum of zero requests', async () => {
    const { url } = await serve(() => ({ body: vector('5', '-5') }));
    expect(await ask(prometheus(url))).toMatchObject({ answered: false, reason: expect.stringMatching(/returned 5 \+ -5, not a count of requests/) });
  });

  it.each([
    ['far in the future', '1e20'],
    ['far in the past', '-1e15'],
    ['before 1970', '-1'],
    ['too large for a double', '1e400'],
    ['a string', '"1767225600"'],
  ])('a sample timestamp %s is no answer (it crashed the run)', async (_, at) => {
    const { url } = await serve(() => ({ body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[${at},"0"]}]}}` }));
    expect(await ask(prometheus(url))).toMatchObject({ answered: false, reason: expect.stringMatching(/malformed answer: data\.result\[0\]\.value\[0\]/) });
  });

  it.each([500, 503, 404, 302])('HTTP %i is no answer even when the body says success', async (status) => {
    const { url } = await serve(() => ({ status, body: vector('0') }));
    expect(await ask(prometheus(url))).toMatchObject({ answered: false, reason: expect.stringContaining(`answered HTTP ${status}`) });
  });

  it('says what was wrong without repeating hostile bytes, and escapes the control characters of an error text', async () => {
    const hostile = '\x1b]0;pwned\x07\x1b[2J\r\nkeyrot: old key deleted\u202e';
    const { url } = await serve(() => ({ body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { [hostile]: hostile }, value: [1767225600, hostile] }] } } }));
    const malformed = await ask(prometheus(url));
    expect(malformed).toMatchObject({ answered: false });
    expect(JSON.stringify(malformed)).not.toContain('pwned');
    const { url: refusing } = await serve(() => ({ status: 422, body: { status: 'error', errorType: hostile, error: `bad query ${hostile}` } }));
    const refused = await ask(prometheus(refusing));
    expect(refused).toMatchObject({ answered: false, reason: expect.stringContaining('refused the query (HTTP 422') });
    const reason = refused.answered ? '' : refused.reason;
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(reason).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(reason).toContain('bad query \\x1b]0;pwned\\x07\\x1b[2J\\r\\nkeyrot: old key deleted\\u202e');
  });

  it('gives no answer when the server accepts and says nothing within the timeout', async () => {
    const { url } = await serve(() => 'silence');
    const started = Date.now();
    expect(await ask(prometheus(url, { timeout: '300ms' }))).toMatchObject({ answered: false, reason: expect.stringMatching(/did not answer: no answer within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  /** A server that answers 200 and then writes its body as `body` says, on the raw response. */
  async function raw(body: (res: import('node:http').ServerResponse) => void): Promise<string> {
    const server = createHttp((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      body(res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  it('gives no answer when the server trickles its answer past the timeout, a byte at a time', async () => {
    const url = await raw((res) => {
      let n = 0;
      const drip = setInterval(() => (++n < 30 ? res.write(' ') : (clearInterval(drip), res.end(JSON.stringify(vector('0'))))), 100);
      res.on('close', () => clearInterval(drip));
    });
    expect(await ask(prometheus(url, { timeout: '300ms' }))).toMatchObject({ answered: false, reason: expect.stringMatching(/did not answer: no answer within 300 ms/) });
  });

  it('gives no answer when the connection is cut in the middle of the answer', async () => {
    const url = await raw((res) => {
      res.write('{"status":"succ');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    expect(await ask(prometheus(url))).toMatchObject({ answered: false, reason: expect.stringMatching(/did not answer: \w/) });
  });

  it('sends a bearer token or basic credentials from the environment, and says which variable is missing without a value', async () => {
    const { url, seen } = await serve(() => ({ body: vector('0') }));
    const token = 'tok-usage-0123456789';
    await ask(prometheus(url, { auth: { type: 'bearer', tokenEnv: 'PROM_TOKEN' } }, { PROM_TOKEN: token }));
    expect(seen[0]!.headers.authorization === `Bearer ${token}`).toBe(true);
    await ask(prometheus(url, { auth: { type: 'basic', username: 'keyrot', passwordEnv: 'PROM_PASSWORD' } }, { PROM_PASSWORD: 'pw-usage-0123456789' }));
    expect(seen[1]!.headers.authorization === `Basic ${Buffer.from('keyrot:pw-usage-0123456789').toString('base64')}`).toBe(true);

    const missing = await ask(prometheus(url, { auth: { type: 'bearer', tokenEnv: 'PROM_TOKEN' } }, {}));
    expect(missing).toMatchObject({ answered: false, reason: expect.stringContaining('environment variable PROM_TOKEN (the bearer token) is not set') });
    expect(seen).toHaveLength(2);
  });

  it('trusts the CA of tls.caFile, and only then', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-usage-tls-'));
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=keyrot-test-prometheus',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
      const tls = { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
      const { url } = await serve(() => ({ body: vector('0') }), tls);
      expect(await ask(prometheus(url, { tls: { caFile: 'cert.pem' } }, {}, dir))).toMatchObject({ answered: true, requests: 0 });
      expect(await ask(prometheus(url))).toMatchObject({ answered: false, reason: expect.stringMatching(/did not answer: .*(self.signed|SELF_SIGNED)/i) });
      expect(await ask(prometheus(url, { tls: { caFile: 'nope.pem' } }, {}, dir))).toMatchObject({ answered: false, reason: expect.stringContaining('cannot read the CA file') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('http usage source', () => {
  const endpoint = (url: string) => createHttpUsage(httpUsageSchema.parse({ type: 'http', url: `${url}/keys/{{keyId}}/usage` }), providerContext());

  it('reads lastUsedAt: a date, or null for never used', async () => {
    let body: unknown = { lastUsedAt: '2025-12-31T23:50:00Z' };
    const { url, seen } = await serve(() => ({ body }));
    expect(await ask(endpoint(url), 'key/1')).toMatchObject({ answered: true, lastUsedAt: new Date('2025-12-31T23:50:00Z'), query: `GET ${url}/keys/key%2F1/usage` });
    expect(seen[0]!.url).toBe('/keys/key%2F1/usage');
    body = { lastUsedAt: null };
    expect(await ask(endpoint(url))).toMatchObject({ answered: true, lastUsedAt: null });
  });

  it.each([
    ['a 404', { status: 404, body: {} }, /answered HTTP 404/],
    ['a 500 whose body looks like an answer', { status: 500, body: { lastUsedAt: null } }, /answered HTTP 500/],
    ['"0" (Date.parse reads it as 2000-01-01)', { body: { lastUsedAt: '0' } }, /without a lastUsedAt date/],
    ['"12" (Date.parse reads it as December 2001)', { body: { lastUsedAt: '12' } }, /without a lastUsedAt date/],
    ['a date without a time (midnight would hide a use that day)', { body: { lastUsedAt: '2025-12-31' } }, /without a lastUsedAt date/],
    ['a time without a zone (read as local time)', { body: { lastUsedAt: '2025-12-31T23:50:00' } }, /without a lastUsedAt date/],
    ['a day that does not exist', { body: { lastUsedAt: '2025-02-30T00:00:00Z' } }, /without a lastUsedAt date/],
    ['a number', { body: { lastUsedAt: 1767225600 } }, /without a lastUsedAt date/],
    ['an array', { body: [{ lastUsedAt: null }] }, /without a lastUsedAt date/],
    ['no lastUsedAt', { body: { used: true } }, /without a lastUsedAt date/],
    ['a date that is not one', { body: { lastUsedAt: 'yesterday' } }, /without a lastUsedAt date/],
  ])('gives no answer on %s', async (_, reply, reason) => {
    const { url } = await serve(() => reply);
    expect(await ask(endpoint(url))).toMatchObject({ answered: false, reason: expect.stringMatching(reason) });
  });
});

describe('what counts as use in an answer', () => {
  const since = new Date(NOW.getTime() - 30 * MIN);
  const answer = (extra: Record<string, unknown>) => ({ answered: true as const, query: 'q', value: 'v', at: NOW, ...extra });
  it('any request, however few; a last use at or after the window opened; never a last use before it, or none', () => {
    expect(usedIn(answer({ requests: 0 }), since)).toBe(false);
    expect(usedIn(answer({ requests: 0.2 }), since)).toBe(true);
    expect(usedIn(answer({ lastUsedAt: null }), since)).toBe(false);
    expect(usedIn(answer({ lastUsedAt: new Date(since.getTime() - 1) }), since)).toBe(false);
    expect(usedIn(answer({ lastUsedAt: since }), since)).toBe(true);
    expect(usedIn(answer({ lastUsedAt: new Date(since.getTime() + 1) }), since)).toBe(true);
  });

  it('an answer larger than 1 MB is no answer (a server that streams without end never fills memory)', async () => {
    const { url } = await serve(() => ({ body: `{"lastUsedAt": null, "padding": "${'x'.repeat(1 << 20)}"}` }));
    const source = createHttpUsage(httpUsageSchema.parse({ type: 'http', url: `${url}/keys/{{keyId}}/usage` }), providerContext());
    expect(await ask(source)).toMatchObject({ answered: false, reason: expect.stringContaining('larger than 1048576 bytes') });
    const { url: small } = await serve(() => ({ body: `{"lastUsedAt": null, "padding": "${'x'.repeat((1 << 20) - 40)}"}` }));
    const fits = createHttpUsage(httpUsageSchema.parse({ type: 'http', url: `${small}/keys/{{keyId}}/usage` }), providerContext());
    expect(await ask(fits)).toMatchObject({ answered: true, lastUsedAt: null });
  });
});

describe('what a malformed answer is said to be', () => {
  const wrong = (schema: z.ZodType, value: unknown) => whatIsWrong(schema.safeParse(value).error!);
  it('names the field by its path, and never repeats a field name it would not print safely', () => {
    const counts = z.object({ data: z.object({ result: z.array(z.object({ value: z.number() })) }) });
    expect(wrong(counts, { data: { result: [{ value: 1 }, { value: 'x' }] } })).toMatch(/^malformed answer: data\.result\[1\]\.value: /);
    expect(wrong(z.number(), 'x')).toMatch(/^malformed answer: the body: /);
    const labels = z.record(z.string(), z.number());
    expect(wrong(labels, { 'evil\x1b[2J': 'x' })).toMatch(/^malformed answer: \[…\]: /);
    expect(wrong(labels, { [`k${'x'.repeat(41)}`]: 'x' })).toMatch(/^malformed answer: \[…\]: /);
    expect(wrong(labels, { '9lives': 'x' })).toMatch(/^malformed answer: \[…\]: /);
    expect(wrong(labels, { key_id: 'x' })).toMatch(/^malformed answer: key_id: /);
  });
});

describe('what keyrot plan shows of a usage source', () => {
  it('an http source: origin and path, never the query string (it may carry a key)', () => {
    const source = createHttpUsage(httpUsageSchema.parse({ type: 'http', url: 'https://svc.internal:8443/keys/{{keyId}}/usage?apikey=sk-live-0123456789#frag' }), providerContext());
    expect(source.explain()).toBe('usage endpoint https://svc.internal:8443: GET https://svc.internal:8443/keys/{{keyId}}/usage for the last use');
  });
});

describe('the usage block in a plan', () => {
  const plan = (usage: unknown) =>
    planSchema.safeParse({ apiVersion: 'keyrot/v1', name: 'api', source: { type: 'generated' }, publish: [{ type: 'file', path: 'keys.json' }], lastUsed: { quietFor: '30m', maxWait: '24h' }, usage });
  const problems = (usage: unknown) => {
    const r = plan(usage);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes a prometheus source with defaults, and an http one', () => {
    expect(plan({ type: 'prometheus', url: 'http://prometheus:9090', query: QUERY }).data?.usage).toEqual({
      type: 'prometheus', url: 'http://prometheus:9090', query: QUERY, timeout: 10_000, interval: 60_000,
    });
    expect(problems({ type: 'http', url: 'https://svc.internal/keys/{{keyId}}/last-used' })).toEqual([]);
  });

  it('refuses a query without the key or the window, an unknown placeholder, and a credential in the plan', () => {
    expect(problems({ type: 'prometheus', url: 'http://p:9090', query: 'sum(api_requests_total)' })).toEqual([
      'usage.query: the query must name the key: {{keyId}}',
      'usage.query: the query must count over the window keyrot asks about: [{{window}}]',
    ]);
    expect(problems({ type: 'prometheus', url: 'http://p:9090', query: `${QUERY} > {{secret}}` })).toEqual(['usage.query: only {{keyId}} and {{window}} can be used in the query']);
    expect(problems({ type: 'prometheus', url: 'http://p:9090', query: QUERY, auth: { type: 'bearer', token: 'abc' } })).toContain('usage.auth: Unrecognized key: "token"');
    expect(problems({ type: 'http', url: 'https://svc/usage' })).toEqual(['usage.url: the URL must name the key: {{keyId}}']);
    expect(problems({ type: 'prometheus', url: 'http://keyrot:hunter2@p:9090', query: QUERY })).toEqual([
      'usage.url: the URL may not carry credentials (user:pass@): use auth, whose secret comes from an environment variable',
    ]);
  });

  it('needs lastUsed: without it the old key would be deactivated without asking', () => {
    const r = planSchema.safeParse({ apiVersion: 'keyrot/v1', name: 'api', source: { type: 'generated' }, publish: [{ type: 'file', path: 'keys.json' }], usage: { type: 'prometheus', url: 'http://p:9090', query: QUERY } });
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'usage: a usage source needs lastUsed (quietFor, maxWait) too: it is asked before deactivate over quietFor',
    ]);
  });
});

describe('usage gates on fakes: the issuer and the metrics must both say unused', () => {
  let ws: Workspace;
  let clock: FakeClock;
  let issuer: FakeIssuer;
  let store: FakeStore;
  /** What the fake metrics say about a key: a count, or no answer. */
  let metrics: (keyId: string, since: Date) => UsageAnswer;
  const asked: string[] = [];

  const usage: UsageSource = {
    label: 'fake metrics',
    async usedSince(keyId, since) {
      asked.push(`${keyId} since ${since.toISOString()}`);
      return metrics(keyId, since);
    },
    explain: () => 'fake metrics: count requests',
  };
  const count = (n: number) => (): UsageAnswer => ({ answered: true, query: 'q', value: String(n), at: clock.now(), requests: n });

  beforeEach(() => {
    ws = workspace();
    clock = new FakeClock();
    issuer = new FakeIssuer(() => clock.now());
    store = new FakeStore();
    asked.length = 0;
    metrics = count(0);
    const id = issuer.seed('active', new Date(clock.now().getTime() - 40 * 24 * 60 * MIN));
    store.current = { keyId: id, secret: issuer.keys[0]!.secret };
  });
  afterEach(() => ws.cleanup());

  const plan = () =>
    planObject(ws.dir, {
      name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }],
      lastUsed: { quietFor: 30 * MIN, maxWait: 24 * 60 * MIN },
      usage: { type: 'prometheus', url: 'http://p:9090', query: QUERY, interval: MIN, timeout: 10_000 },
    });
  const go = () => run(plan(), clock, { providers: { issuer, stores: [store], usage }, wait: false });
  const old = () => issuer.keys[0]!.id;

  it('waits while the metrics count requests though the issuer says quiet, asking again after interval', async () => {
    await go();
    clock.advance(15 * MIN);
    metrics = count(3);
    const { outcome } = await go();
    expect(outcome).toEqual({ status: 'waiting', until: new Date(clock.now().getTime() + MIN) });
    expect(asked).toEqual([`${old()} since ${new Date(clock.now().getTime() - 30 * MIN).toISOString()}`]);
    metrics = count(0);
    clock.advance(MIN);
    expect((await go()).outcome).toMatchObject({ status: 'waiting' }); // soaking now
    expect(issuer.keys[0]!.status).toBe('inactive');
  });

  it('waits on the issuer (IAM last use) though the metrics say zero, without asking them yet', async () => {
    await go();
    clock.advance(15 * MIN);
    issuer.lastUse.set(old(), new Date(clock.now().getTime() - 10 * MIN));
    expect((await go()).outcome).toEqual({ status: 'waiting', until: new Date(clock.now().getTime() + 20 * MIN) });
    expect(asked).toEqual([]);
    expect(issuer.keys[0]!.status).toBe('active');
  });

  it('holds before delete when the metrics give no answer, and deletes once they answer zero since deactivation', async () => {
    await go();
    clock.advance(15 * MIN);
    await go(); // deactivated
    const deactivatedAt = new Date(clock.now());
    clock.advance(7 * 24 * 60 * MIN);
    metrics = () => ({ answered: false, query: 'q', at: clock.now(), reason: 'prometheus http://p:9090 did not answer: ECONNREFUSED' });
    const { outcome, events } = await go();
    expect(outcome).toEqual({ status: 'held', code: 'usage-unknown' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ message: expect.stringContaining('ECONNREFUSED; not deleting it') });
    expect(asked.at(-1)).toBe(`${old()} since ${deactivatedAt.toISOString()}`);
    expect(issuer.keys.map((k) => k.status)).toEqual(['inactive', 'active']);

    metrics = count(0);
    expect((await go()).outcome.status).toBe('done');
    const audit = readAudit(stateDirOf(plan())).filter((r) => r.action === 'gate-evidence');
    expect(audit.map((r) => [r.phase, r.detail])).toEqual([
      ['last-used', expect.stringMatching(/^fake metrics: q = 0 at /)],
      ['delete', expect.stringMatching(/^fake metrics: q gave no answer at .*ECONNREFUSED/)],
      ['delete', expect.stringMatching(/^fake metrics: q = 0 at /)],
    ]);
  });

  it('held before delete for requests since deactivation: the rollback it suggests, then a new soak with none, deletes', async () => {
    const retiring = old();
    await go();
    clock.advance(15 * MIN);
    await go(); // deactivated
    clock.advance(7 * 24 * 60 * MIN);
    metrics = count(42);
    const held = await go();
    expect(held.outcome).toEqual({ status: 'held', code: 'used-after-deactivate' });
    expect(held.events.find((e) => e.type === 'held')).toMatchObject({ message: expect.stringContaining('was used 42 times (fake metrics)'), hint: expect.stringContaining('keyrot rollback') });

    await decide(plan(), clock, (ctx) => rollBack(ctx, 'a consumer still sends the old key'), { providers: { issuer, stores: [store], usage } });
    expect(issuer.keys[0]!.status).toBe('active');
    metrics = count(0); // the consumer was fixed
    const resumed = await run(plan(), clock, { providers: { issuer, stores: [store], usage }, wait: false, resumeAfterRollback: true });
    expect(resumed.outcome.status).toBe('waiting'); // a new soak, counted from the new deactivation
    const redeactivated = clock.now().toISOString();
    clock.advance(7 * 24 * 60 * MIN);
    expect((await go()).outcome.status).toBe('done');
    expect(asked.at(-1)).toBe(`${retiring} since ${redeactivated}`);
    expect(issuer.keys.map((k) => k.id)).not.toContain(retiring);
  });

  it('a revoked (leaked) key is deleted on request whatever the metrics say, with a warning when it was tried', async () => {
    const leaked = old();
    await revoke(plan(), clock, leaked, { providers: { issuer, stores: [store], usage } });
    clock.advance(8 * 24 * 60 * MIN);
    await decide(plan(), clock, async (ctx) => {
      ctx.state.approvedBy = 'oncall@host';
      await ctx.save();
    }, { providers: { issuer, stores: [store], usage } });
    metrics = count(5);
    const { outcome, events } = await go();
    expect(outcome.status).toBe('done');
    expect(issuer.keys.map((k) => k.id)).not.toContain(leaked);
    expect(events).toContainEqual(expect.objectContaining({ type: 'note', phase: 'delete', message: 'WARNING: fake metrics saw the revoked key used 5 times after it was revoked' }));
  });

  it.each([
    ['a time that is no date', () => ({ answered: true as const, query: 'q', value: '0', at: new Date(1e20), requests: 0 })],
    ['a count that is NaN', () => ({ answered: true as const, query: 'q', value: 'junk', at: clock.now(), requests: Number(' x') })],
    ['a negative count', () => ({ answered: true as const, query: 'q', value: '-3', at: clock.now(), requests: -3 })],
    ['a last use that is no date', () => ({ answered: true as const, query: 'q', value: 'junk', at: clock.now(), lastUsedAt: new Date('junk') })],
    ['nothing about use', () => ({ answered: true as const, query: 'q', value: '', at: clock.now() })],
  ])('a source whose answer carries %s is no answer: held, never a crash or unused', async (_, answer) => {
    await go();
    clock.advance(15 * MIN);
    metrics = answer;
    const { outcome, events } = await go();
    expect(outcome).toEqual({ status: 'held', code: 'usage-unknown' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ message: expect.stringContaining('fake metrics gave a malformed answer') });
    expect(issuer.keys[0]!.status).toBe('active');
  });

  it('a reason with control characters reaches the user escaped', async () => {
    await go();
    clock.advance(15 * MIN);
    metrics = () => ({ answered: false, query: 'q', at: clock.now(), reason: 'down\x1b[2J\r\nkeyrot: deleted' });
    const { events } = await go();
    expect(events.find((e) => e.type === 'held')).toMatchObject({ message: expect.stringContaining('down\\x1b[2J\\r\\nkeyrot: deleted; not deactivating it') });
  });

  it('holds at maxWait (not a moment later) while the metrics still count requests, saying how many', async () => {
    await go();
    clock.advance(15 * MIN); // last-used starts: it gives up 24h from now
    metrics = count(4.6); // increase() extrapolates: not a whole number
    expect((await go()).outcome).toMatchObject({ status: 'waiting' });
    clock.advance(24 * 60 * MIN);
    const { outcome, events } = await go();
    expect(outcome).toEqual({ status: 'held', code: 'old-key-in-use' });
    expect(events.find((e) => e.type === 'held')).toMatchObject({ message: expect.stringContaining('about 5 times in the last 30m (fake metrics)') });
    metrics = count(0.42);
    expect((await go()).events.find((e) => e.type === 'held')).toMatchObject({ message: expect.stringContaining('about 0.42 times in the last 30m') });
    metrics = count(3);
    expect((await go()).events.find((e) => e.type === 'held')).toMatchObject({ message: expect.stringContaining(' 3 times in the last 30m') });
    expect(issuer.keys[0]!.status).toBe('active');
  });

  it('a last use the source dates says when the key goes quiet, or that it cannot before maxWait', async () => {
    const dated = (at: Date) => (): UsageAnswer => ({ answered: true, query: 'q', value: at.toISOString(), at: clock.now(), lastUsedAt: at });
    await go();
    clock.advance(15 * MIN);
    metrics = dated(new Date(clock.now().getTime() - 10 * MIN));
    expect((await go()).outcome).toEqual({ status: 'waiting', until: new Date(clock.now().getTime() + 20 * MIN) });
    // Used a moment before maxWait: it cannot go quiet in time, so the wait ends at maxWait.
    clock.advance(24 * 60 * MIN - 10 * MIN);
    metrics = dated(clock.now());
    expect((await go()).outcome).toEqual({ status: 'waiting', until: new Date(clock.now().getTime() + 10 * MIN) });
  });

  it('asks a source that counts again after the plan\'s interval', async () => {
    const every5 = planObject(ws.dir, { ...plan().plan, usage: { type: 'prometheus', url: 'http://p:9090', query: QUERY, interval: 5 * MIN, timeout: 10_000 } });
    const go5 = () => run(every5, clock, { providers: { issuer, stores: [store], usage }, wait: false });
    await go5();
    clock.advance(15 * MIN);
    metrics = count(2);
    expect((await go5()).outcome).toEqual({ status: 'waiting', until: new Date(clock.now().getTime() + 5 * MIN) });
  });

  it('cannot open a delete gate the issuer holds: unused by the metrics during the soak is still no delete', async () => {
    await go();
    clock.advance(15 * MIN);
    expect((await go()).outcome).toMatchObject({ status: 'waiting' }); // deactivated, soaking
    const state = JSON.parse(ws.read('.keyrot/state/api.json'));
    ws.write('.keyrot/state/api.json', JSON.stringify({ ...state, phase: 'delete', stage: 'ready' })); // the soak wait skipped
    const { outcome } = await go();
    expect(outcome).toEqual({ status: 'held', code: 'invariant' });
    expect(issuer.keys.map((k) => k.id)).toContain(old());
  });

  it('a source that throws is no answer, not unused', async () => {
    await go();
    clock.advance(15 * MIN);
    metrics = () => {
      throw new Error('bug in a source');
    };
    expect((await go()).outcome).toEqual({ status: 'held', code: 'usage-unknown' });
    expect(issuer.keys[0]!.status).toBe('active');
  });
});
