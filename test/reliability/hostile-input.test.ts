// Issue 12, harness item 4: hostile plans and state files. Every one must end in exit 2 with a
// location (file:line:col for a plan, the file for a state record), with no stack trace and no
// provider call. A curated corpus goes through the built binary (one run per corpus, against a
// sentinel "AWS endpoint" that counts requests); a property-based fuzzer goes through the loader.
// Short form under `npm test`; KEYROT_RELIABILITY=long runs the fuzzer 20 times longer.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { newRotation } from '../../src/engine/rotation.js';
import { loadPlan, MAX_PLAN_BYTES } from '../../src/plan/load.js';
import { keyrot } from '../helpers/cli.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { recordFaults } from './faults.js';

const LONG = process.env.KEYROT_RELIABILITY === 'long';
const RUNS = LONG ? 6_000 : 300;

// ---- a sentinel provider endpoint: any request to it is a provider call that should not happen ----

// Started while the file is collected: the corpora below name its address.
const sentinel: { url: string; requests: number; server: Server } = await (async () => {
  const server = createServer((req, res) => {
    sentinel.requests++;
    req.resume();
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: 0, server };
})();
let ws: Workspace;
beforeAll(() => {
  ws = workspace();
});
afterAll(async () => {
  sentinel.server.closeAllConnections();
  await new Promise<void>((resolve) => sentinel.server.close(() => resolve()));
  ws.cleanup();
});

const base = (name: string): Record<string, unknown> => ({
  apiVersion: 'keyrot/v1',
  name,
  source: { type: 'aws-iam', user: 'svc', region: 'us-east-1', endpoint: sentinel.url },
  publish: [{ type: 'file', path: `${name}.json` }],
  drain: '1s',
  soak: '1s',
});
const withField = (name: string, field: string, value: unknown) => stringify({ ...base(name), [field]: value });
const withSource = (name: string, extra: Record<string, unknown>) => stringify({ ...base(name), source: { ...(base(name).source as object), ...extra } });

// ---- the plan corpus: [what, text]; each must be refused with a location -----------------------------

function hostilePlans(): [string, string][] {
  const ok = (n: string) => stringify(base(n));
  const bomb = ['apiVersion: keyrot/v1', 'a: &a ["x","x","x","x","x","x","x","x","x"]',
    ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`)].join('\n');
  const cases: [string, (n: string) => string][] = [
    // YAML itself
    ['an empty file', () => ''],
    ['only a comment', () => '# nothing here\n'],
    ['null', () => 'null\n'],
    ['a tilde', () => '~\n'],
    ['a number', () => '42\n'],
    ['a string', () => '"keyrot/v1"\n'],
    ['a list', () => '- apiVersion: keyrot/v1\n'],
    ['tabs for indentation', (n) => ok(n).replace(/\n {2}/g, '\n\t')],
    ['an unclosed quote', (n) => `${ok(n)}description: "never closed\n`],
    ['an unclosed flow sequence', (n) => `${ok(n)}notify: [ { type: webhook\n`],
    ['a duplicate key', (n) => `${ok(n)}drain: 2s\n`],
    ['bad indentation', (n) => ok(n).replace('  user: svc', '      user: svc')],
    ['a stray colon', (n) => `${ok(n)}: :\n`],
    ['a lone dash', (n) => `${ok(n)}-\n`],
    ['two documents', (n) => `${ok(n)}---\n${ok(n)}`],
    ['a document end marker then junk', (n) => `${ok(n)}...\njunk: [\n`],
    ['an alias bomb', () => bomb],
    ['an alias to no anchor', (n) => `${ok(n)}description: *nowhere\n`],
    ['a merge key', (n) => `x: &x { drain: 1s }\n<<: *x\n${ok(n)}`],
    ['a js function tag', (n) => `${ok(n)}description: !!js/function "function(){}"\n`],
    ['a binary tag', (n) => `${ok(n)}description: !!binary aGVsbG8=\n`],
    ['a set tag', (n) => `${ok(n)}description: !!set { a, b }\n`],
    ['an unknown local tag', (n) => `${ok(n)}description: !custom x\n`],
    ['a complex key', (n) => `${ok(n)}? [a, b]\n: c\n`],
    ['a numeric key', (n) => `${ok(n)}1: one\n`],
    ['a __proto__ key', (n) => `${ok(n)}__proto__: { polluted: true }\n`],
    ['a nested __proto__ key', (n) => withSource(n, { __proto__: { admin: true } }).replace('source:\n', 'source:\n  __proto__: { admin: true }\n')],
    ['a constructor key', (n) => `${ok(n)}constructor: { prototype: { x: 1 } }\n`],
    ['deep flow nesting', (n) => `${ok(n)}description: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
    ['deep block nesting', (n) => `${ok(n)}description:\n${Array.from({ length: 400 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} x\n`],
    ['a NUL byte', (n) => `${ok(n)}description: a\u0000b\n`],
    ['a byte-order mark then junk', () => '\uFEFF{{{\n'],
    ['invalid UTF-8', () => Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]).toString('latin1')],
    ['a plan over the size limit', (n) => `${ok(n)}description: "${'x'.repeat(MAX_PLAN_BYTES)}"\n`],
    ['a 10000-item publish list of junk', (n) => withField(n, 'publish', Array.from({ length: 10_000 }, (_, i) => i))],
    // the plan's own fields
    ['apiVersion missing', (n) => stringify({ ...base(n), apiVersion: undefined })],
    ['apiVersion v2', (n) => withField(n, 'apiVersion', 'keyrot/v2')],
    ['apiVersion a number', (n) => withField(n, 'apiVersion', 1)],
    ['apiVersion a list', (n) => withField(n, 'apiVersion', ['keyrot/v1'])],
    ['name upper-case', (n) => withField(n, 'name', n.toUpperCase())],
    ['name with a slash', (n) => withField(n, 'name', `../${n}`)],
    ['name too long', (n) => withField(n, 'name', 'a'.repeat(200))],
    ['name a list', (n) => withField(n, 'name', [n])],
    ['name an emoji', (n) => withField(n, 'name', `${n}-🔑`)],
    ['source missing', (n) => stringify({ ...base(n), source: undefined })],
    ['source a string', (n) => withField(n, 'source', 'aws-iam')],
    ['source null', (n) => withField(n, 'source', null)],
    ['source of an unknown type', (n) => withField(n, 'source', { type: 'gcp-sa' })],
    ['source type a number', (n) => withField(n, 'source', { type: 7 })],
    ['publish missing', (n) => stringify({ ...base(n), publish: undefined })],
    ['publish empty', (n) => withField(n, 'publish', [])],
    ['publish an object', (n) => withField(n, 'publish', { type: 'file', path: 'x.json' })],
    ['publish of strings', (n) => withField(n, 'publish', ['file'])],
    ['a store of an unknown type', (n) => withField(n, 'publish', [{ type: 'ftp', host: 'x' }])],
    ['a file store without a path', (n) => withField(n, 'publish', [{ type: 'file' }])],
    ['an unknown top-level field', (n) => withField(n, 'colour', 'blue')],
    ['verify a string', (n) => withField(n, 'verify', 'yes please')],
    ['drain a number', (n) => withField(n, 'drain', 900)],
    ['drain negative', (n) => withField(n, 'drain', '-15m')],
    ['drain in years', (n) => withField(n, 'drain', '1y')],
    ['drain in exponent form', (n) => withField(n, 'drain', '1e3s')],
    ['drain absurdly long', (n) => withField(n, 'drain', `${'9'.repeat(40)}d`)],
    ['soak NaN', (n) => withField(n, 'soak', 'NaN')],
    ['soak a boolean', (n) => withField(n, 'soak', true)],
    ['lastUsed without maxWait', (n) => withField(n, 'lastUsed', { quietFor: '30m' })],
    ['schedule with an unknown field', (n) => withField(n, 'schedule', { maxAge: '30d', cron: '* * * * *' })],
    ['delete.requireApproval a string', (n) => withField(n, 'delete', { requireApproval: 'maybe' })],
    ['healthCheck of an unknown type', (n) => withField(n, 'healthCheck', { type: 'ping', host: 'x' })],
    ['a health check URL that is not one', (n) => withField(n, 'healthCheck', { type: 'http', url: 'not a url' })],
    ['rehearse a number', (n) => withField(n, 'rehearse', 1)],
    // aws-iam source
    ['an IAM user with spaces', (n) => withSource(n, { user: 'payments service' })],
    ['a region that is not one', (n) => withSource(n, { region: 'mars-north-1a' })],
    ['a role ARN that is not one', (n) => withSource(n, { roleArn: 'arn:aws:iam::12:role/x' })],
    ['an ftp endpoint', (n) => withSource(n, { endpoint: 'ftp://127.0.0.1/' })],
    ['a verifyTimeout of "forever"', (n) => withSource(n, { verifyTimeout: 'forever' })],
    ['a request timeout a number', (n) => withSource(n, { timeout: 30 })],
    ['an unknown aws-iam field', (n) => withSource(n, { accessKeyId: 'AKIAEXAMPLE' })],
    ['a literal AWS secret key in the source', (n) => withSource(n, { profile: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })],
    // secrets and templates
    ['a literal Vault token', (n) => withField(n, 'description', `hvs.${'A1b2C3d4'.repeat(4)}`)],
    ['a private key block', (n) => withField(n, 'description', '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----')],
    ['a GitHub token', (n) => withField(n, 'description', `ghp_${'a1B2'.repeat(9)}`)],
    ['an unknown template field', (n) => withField(n, 'publish', [{ type: 'file', path: '{{keyid}}.json' }])],
    ['a template reaching for the prototype', (n) => withField(n, 'publish', [{ type: 'file', path: '{{constructor}}.json' }])],
    ['a template with __proto__', (n) => withField(n, 'publish', [{ type: 'file', path: '{{__proto__}}.json' }])],
    // notify
    ['a webhook URL with credentials', (n) => withField(n, 'notify', [{ type: 'webhook', url: 'https://ops:hunter2hunter2@hooks.example/x' }])],
    ['a javascript: webhook URL', (n) => withField(n, 'notify', [{ type: 'webhook', url: 'javascript:alert(1)' }])],
    ['a file: webhook URL', (n) => withField(n, 'notify', [{ type: 'webhook', url: 'file:///etc/passwd' }])],
    ['a webhook URL with a template', (n) => withField(n, 'notify', [{ type: 'webhook', url: 'https://hooks.example/{{secret}}' }])],
    ['a webhook with a literal signing key', (n) => withField(n, 'notify', [{ type: 'webhook', url: 'https://hooks.example/x', signingKey: 'abc' }])],
    ['a header from a variable that is not a name', (n) => withField(n, 'notify', [{ type: 'webhook', url: 'https://hooks.example/x', headersFromEnv: { Authorization: 'A B' } }])],
    ['a header name with a newline', (n) => withField(n, 'notify', [{ type: 'webhook', url: 'https://hooks.example/x', headersFromEnv: { 'X-A\nX-B': 'AUTH' } }])],
    ['a command with a secret template', (n) => withField(n, 'notify', [{ type: 'command', run: 'echo {{secret}}' }])],
    ['an empty command', (n) => withField(n, 'notify', [{ type: 'command', run: '' }])],
    ['a command env entry that is not a name', (n) => withField(n, 'notify', [{ type: 'command', run: 'true', env: ['VAULT_TOKEN=x'] }])],
    ['notify on no outcome', (n) => withField(n, 'notify', [{ type: 'command', run: 'true', on: [] }])],
    ['notify on an unknown outcome', (n) => withField(n, 'notify', [{ type: 'command', run: 'true', on: ['rotated'] }])],
    ['webhook retries out of range', (n) => withField(n, 'notify', [{ type: 'webhook', url: 'https://hooks.example/x', retries: 1_000_000 }])],
    ['notify an email', (n) => withField(n, 'notify', [{ type: 'email', to: 'ops@example.com' }])],
  ];
  return cases.map(([what, make], i) => [what, make(`hostile-${String(i).padStart(3, '0')}`)]);
}

// ---- the state corpus: [what, file content]; each must be refused naming the file -------------------

function hostileStates(): [string, string][] {
  const good = { ...newRotation('x', new Date('2026-11-01T00:00:00Z'), 'r1'), version: 3, phase: 'drain', stage: 'waiting', oldKeyId: 'AKIAOLD', newKeyId: 'AKIANEW', newFingerprint: 'sha256:0123456789ab', deadlines: { drain: '2026-11-01T00:15:00.000Z' } } as Record<string, unknown>;
  const text = JSON.stringify(good, null, 2);
  const cases: [string, (plan: string) => string][] = [
    ['an empty file', () => ''],
    ['only whitespace', () => ' \n\t\n'],
    ['null', () => 'null'],
    ['a number', () => '42'],
    ['a string', () => '"state"'],
    ['a list', () => '[]'],
    ['an empty object', () => '{}'],
    ['a byte-order mark', (p) => `\uFEFF${JSON.stringify({ ...good, plan: p })}`],
    ['a NUL byte in the middle', (p) => JSON.stringify({ ...good, plan: p }).replace('"version"', '\u0000"version"')],
    ['deeply nested arrays', () => `${'['.repeat(50_000)}${']'.repeat(50_000)}`],
    ['a record from a newer keyrot', (p) => JSON.stringify({ ...good, plan: p, format: 2 })],
    ['format as a string', (p) => JSON.stringify({ ...good, plan: p, format: '1' })],
    ['the record of another plan', () => JSON.stringify({ ...good, plan: 'someone-else' })],
    ['phase bogus', (p) => JSON.stringify({ ...good, plan: p, phase: 'bogus' })],
    ['stage bogus', (p) => JSON.stringify({ ...good, plan: p, stage: 'sleeping' })],
    ['mode bogus', (p) => JSON.stringify({ ...good, plan: p, mode: 'yolo' })],
    ['version negative', (p) => JSON.stringify({ ...good, plan: p, version: -1 })],
    ['version a fraction', (p) => JSON.stringify({ ...good, plan: p, version: 1.5 })],
    ['version a string', (p) => JSON.stringify({ ...good, plan: p, version: '3' })],
    ['a start that is not a date', (p) => JSON.stringify({ ...good, plan: p, startedAt: 'last tuesday' })],
    ['a deadline that is not a date', (p) => JSON.stringify({ ...good, plan: p, deadlines: { drain: 'soon' } })],
    ['a deadline for no phase', (p) => JSON.stringify({ ...good, plan: p, deadlines: { nap: '2026-11-01T00:15:00.000Z' } })],
    ['published with numbers', (p) => JSON.stringify({ ...good, plan: p, published: [1, 2] })],
    ['a hold without a message', (p) => JSON.stringify({ ...good, plan: p, hold: { code: 'x', since: '2026-11-01T00:00:00Z', evidence: [] } })],
    ['resumeAt to no phase', (p) => JSON.stringify({ ...good, plan: p, resumeAt: { phase: 'nap', stage: 'ready' } })],
    ['rolledBack without a date', (p) => JSON.stringify({ ...good, plan: p, rolledBack: { reason: 'x' } })],
    ['an empty new key id', (p) => JSON.stringify({ ...good, plan: p, newKeyId: '' })],
  ];
  // Every field removed, and every field given a value of the wrong kind.
  for (const field of Object.keys(good)) {
    cases.push([`${field} missing`, (p) => JSON.stringify({ ...good, plan: p, [field]: undefined })]);
    if (field !== 'plan') cases.push([`${field} of the wrong kind`, (p) => JSON.stringify({ ...good, plan: p, [field]: typeof good[field] === 'object' && good[field] !== null ? 7 : { wrong: true } })]);
  }
  // Cut short at ten places, as a crash mid-write on a filesystem without atomic rename would leave it.
  for (let k = 1; k <= 10; k++) cases.push([`cut short at ${k}0%`, (p) => text.replace('"x"', JSON.stringify(p)).slice(0, Math.floor((text.length * k) / 11))]);
  return cases.map(([what, make], i) => {
    const plan = `state-${String(i).padStart(3, '0')}`;
    return [what, make(plan)];
  });
}

const STACK = /internal error|\n\s+at \S+ \(|\n\s+at file:/;

describe('hostile plans', () => {
  const corpus = hostilePlans();
  afterAll(() => recordFaults('hostile plans', { 'hostile plan (loader)': corpus.length, 'hostile plan (binary: run, validate, plan)': corpus.length * 3 }));

  it(`has at least 100 hostile plans and state files between the two corpora (${corpus.length} plans, ${hostileStates().length} states)`, () => {
    expect(corpus.length + hostileStates().length).toBeGreaterThanOrEqual(100);
  });

  it.each(corpus.map(([what, text], i) => [what, text, i] as const))('%s: refused by the loader, every problem with a location', async (_what, text, i) => {
    const file = ws.write(`loader-${i}.yaml`, text);
    const result = await loadPlan(file);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.length).toBeGreaterThan(0);
    const lines = text.split('\n').length;
    for (const p of problems) {
      expect(p.file).toBe(file);
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.line).toBeLessThanOrEqual(lines + 1);
      expect(p.col).toBeGreaterThanOrEqual(1);
    }
  });

  it(`through the binary (${corpus.length} plans): exit 2, each file named with line:col, no stack trace, no provider call`, async () => {
    const dir = path.join(ws.dir, 'plans');
    mkdirSync(dir);
    const files = corpus.map((_, i) => path.join(dir, `hostile-${String(i).padStart(3, '0')}.yaml`));
    corpus.forEach(([, text], i) => writeFileSync(files[i]!, text));
    const before = sentinel.requests;
    for (const command of [['run', '--yes', '--no-wait', '--state', path.join(ws.dir, 'plan-state'), dir], ['validate', dir], ['plan', dir]]) {
      const result = await keyrot(command, { cwd: ws.dir });
      expect(result.code, command[0]).toBe(2);
      expect(result.stderr).not.toMatch(STACK);
      const unnamed = files.filter((f) => !new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ `).test(result.stderr));
      expect(unnamed.map((f) => path.basename(f)), command[0]).toEqual([]);
    }
    expect(sentinel.requests - before).toBe(0);
  }, 60_000);
});

describe('hostile state files', () => {
  const corpus = hostileStates();
  afterAll(() => recordFaults('hostile state files', { 'hostile state file': corpus.length }));
  it(`through the binary (${corpus.length} state files): every plan refused with exit 2 naming its state file, no stack trace, no provider call`, async () => {
    const dir = path.join(ws.dir, 'stateful');
    const stateDir = path.join(dir, '.keyrot', 'state');
    mkdirSync(stateDir, { recursive: true });
    const names = corpus.map((_, i) => `state-${String(i).padStart(3, '0')}`);
    names.forEach((name, i) => {
      writeFileSync(path.join(dir, `${name}.yaml`), stringify(base(name)));
      writeFileSync(path.join(stateDir, `${name}.json`), corpus[i]![1]);
    });
    const before = sentinel.requests;
    const result = await keyrot(['run', '--yes', '--json', '--concurrency', '8', dir], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(STACK);
    const failed = new Map(
      result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; plan: string; code?: string; message?: string })
        .filter((e) => e.type === 'failed').map((e) => [e.plan, e]),
    );
    const wrong = names.flatMap((name, i) => {
      const e = failed.get(name);
      const ok = e?.code === 'state-corrupt' && e.message!.includes(path.join(stateDir, `${name}.json`));
      return ok ? [] : [`${name} (${corpus[i]![0]}): ${e ? `${e.code} ${e.message}` : 'not refused'}`];
    });
    expect(wrong).toEqual([]);
    expect(sentinel.requests - before).toBe(0);
  }, 60_000);
});

// ---- the fuzzer --------------------------------------------------------------------------------------

/** The loader on `text`: it must not throw, and a refusal must carry a location inside the file. */
async function loaderHolds(text: string, n: number): Promise<void> {
  const file = ws.write(`fuzz-${n % 50}.yaml`, text);
  const result = await loadPlan(file);
  if (result.ok) return;
  expect(result.problems.length).toBeGreaterThan(0);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const p of result.problems) {
    expect(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines + 1, `line ${p.line} of ${lines}`).toBe(true);
    expect(Number.isInteger(p.col) && p.col >= 1, `col ${p.col}`).toBe(true);
    expect(typeof p.message).toBe('string');
  }
}

const YAML_BITS = ['&a ', '*a ', '&b ', '*b ', '- ', ': ', '? ', '{', '}', '[', ']', ',', '\n', '  ', '\t', '"', "'", '!!str ', '!!binary ', '!x ', '<<: ', '|', '>', '#',
  '---\n', '...\n', '%YAML 1.2\n', 'apiVersion', 'keyrot/v1', 'name', 'source', 'type', 'generated', 'aws-iam', 'publish', 'file', 'path', 'notify', 'webhook',
  'url', 'http://u:p@h/', '{{secret}}', '{{', '}}', 'drain', '15m', '-1s', '1e9', '0x1F', '~', 'null', 'true', '__proto__', 'constructor', '\u0000', '\uFEFF', '🔑'];

describe(`the plan loader, fuzzed (${RUNS} cases per property${LONG ? ', long form' : ''})`, () => {
  let n = 0;
  afterAll(() => recordFaults(`the plan loader, fuzzed (${RUNS} cases per property${LONG ? ', long form' : ''})`, { 'fuzzed plan text': n }));
  it(`never throws on arbitrary text, and locates every problem (${RUNS} texts)`, async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => loaderHolds(text, n++)), { numRuns: RUNS });
  }, LONG ? 600_000 : 60_000);

  it(`never throws on YAML-shaped token soup (${RUNS} soups)`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.constantFrom(...YAML_BITS), { maxLength: 80 }), (bits) => loaderHolds(bits.join(''), n++)), { numRuns: RUNS });
  }, LONG ? 600_000 : 60_000);

  it(`never throws on a valid plan with any one field replaced by any value (${RUNS} plans)`, async () => {
    const paths = [['apiVersion'], ['name'], ['source'], ['source', 'type'], ['source', 'user'], ['source', 'endpoint'], ['source', 'verifyTimeout'], ['publish'], ['publish', 0],
      ['publish', 0, 'path'], ['drain'], ['soak'], ['lastUsed'], ['notify'], ['notify', 0], ['notify', 0, 'url'], ['notify', 0, 'env'], ['healthCheck'], ['delete'], ['x-unknown']];
    const value = fc.oneof(fc.jsonValue(), fc.string(), fc.constantFrom(null, undefined, '', '1s', '-1s', 'keyrot/v1', 'http://u:p@h/', '{{secret}}', '{{x}}', [], {}));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), value, async (where, v) => {
        const plan = structuredClone({ ...base('fuzz'), notify: [{ type: 'webhook', url: 'https://hooks.example/x' }] }) as Record<string | number, unknown>;
        let node = plan as Record<string | number, unknown>;
        for (const key of where.slice(0, -1)) node = (node[key] ??= {}) as Record<string | number, unknown>;
        node[where[where.length - 1]!] = v;
        await loaderHolds(stringify(plan), n++);
      }),
      { numRuns: RUNS },
    );
  }, LONG ? 600_000 : 60_000);
});
