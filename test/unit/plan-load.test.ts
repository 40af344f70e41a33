// A broken plan gets every problem at once, each with file:line:col, and nothing runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlan, MAX_PLAN_BYTES } from '../../src/plan/load.js';
import { formatProblem } from '../../src/shared/problem.js';
import { planJsonSchema } from '../../src/plan/schema.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const problemsOf = async (yaml: string) => {
  const result = await loadPlan(ws.write('plan.yaml', yaml));
  if (result.ok) throw new Error('expected problems');
  return result.problems.map((p) => ({ at: `${p.line}:${p.col}`, field: p.field, message: p.message }));
};

describe('plan loading', () => {
  it('loads every example plan in rotation-plans/', async () => {
    const files = readdirSync('rotation-plans').filter((f) => f.endsWith('.yaml'));
    expect(files).toContain('demo.yaml');
    for (const file of files.map((f) => `rotation-plans/${f}`)) {
      const result = await loadPlan(file);
      expect(result.ok ? 'ok' : result.problems.map(formatProblem)).toBe('ok');
    }
  });

  it('fills defaults and turns durations into milliseconds', async () => {
    const result = await loadPlan(ws.write('plan.yaml', [
      'apiVersion: keyrot/v1', 'name: api', 'source: { type: generated }', 'publish: [{ type: file, path: k.json }]', 'drain: 1h30m',
    ].join('\n')));
    expect(result.ok && result.loaded.plan).toMatchObject({ drain: 5_400_000, soak: 604_800_000, verify: true, source: { bytes: 32 } });
  });

  it('reports five separate mistakes at once, each at its line and column', async () => {
    const problems = await problemsOf([
      'apiVersion: keyrot/v2',                 // 1: wrong version
      'name: Payments_API',                    // 2: bad name
      'source:',
      '  type: generated',
      '  bytes: 8',                            // 5: too few bytes
      'publish:',
      '  - type: file',                        // 7: missing path
      'drain: 15 minutes',                     // 8: not a duration
      'colour: blue',                          // 9: unknown field
    ].join('\n'));
    expect(problems).toEqual([
      { at: '1:13', field: 'apiVersion', message: 'must be "keyrot/v1"' },
      { at: '2:7', field: 'name', message: expect.stringContaining('lower-case letters') },
      { at: '5:10', field: 'source.bytes', message: '`bytes` must be at least 16, not 8' },
      { at: '7:15', field: 'publish[0].path', message: '`path` is missing' },
      { at: '8:8', field: 'drain', message: expect.stringContaining('expected a duration') },
      { at: '9:1', field: 'colour', message: 'unknown field' },
    ]);
  });

  it('names the allowed types for an unknown provider', async () => {
    const result = await loadPlan(ws.write('plan.yaml', 'apiVersion: keyrot/v1\nname: x\nsource: { type: gcp-iam }\npublish: [{ type: file, path: a }]\n'));
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      expect.stringMatching(/plan\.yaml:3:17 {2}source\.type {2}unknown type "gcp-iam" for `source` {2}\(one of: generated, aws-iam.*\)/),
    ]);
  });

  // Issue 21, item 8: what is wrong, where, and the fix, in the user's words (never the schema library's text).
  it('says each mistake a new user makes in their words, where it is, and the fix', async () => {
    const withHints = async (yaml: string) => {
      const result = await loadPlan(ws.write('plan.yaml', yaml));
      return result.ok ? [] : result.problems.map((p) => ({ at: `${p.line}:${p.col}`, field: p.field, message: p.message, hint: p.hint }));
    };
    const problems = await withHints([
      'apiVersion: keyrot/v1',
      'name: p',
      'source: { type: generatd }',             // 3: a misspelt type
      'drain: 90',                              // 4: a duration without its unit
      'drian: 15m',                             // 5: a misspelt field
      'lastUsed: { quietFor: 30m, maxWait: "24" }',
      'publish: { type: file, path: k.json }',  // 7: one store, not in a list
      'verify: "yes"',
    ].join('\n'));
    expect(problems.map((p) => `${p.at} ${p.field}: ${p.message} (${p.hint ?? ''})`)).toEqual([
      expect.stringMatching(/^3:17 source\.type: unknown type "generatd" for `source` \(did you mean `generated`\? \(one of: generated, aws-iam, http.*\)\)$/),
      '4:8 drain: 90 has no unit: `drain` is a duration (write the unit after the number: `drain: 90s` (seconds), 90m (minutes), 90h or 90d)',
      '5:1 drian: unknown field (did you mean `drain`?)',
      '6:37 lastUsed.maxWait: expected a duration such as 90s, 15m, 24h or 7d ()',
      '7:10 publish: `publish` must be a list, even of one (put `- ` before the entry on its own line, or write it in brackets: `publish: [{ … }]`)',
      '8:9 verify: `verify` must be true or false, not text (see its description: `keyrot schema`, or the README\'s table of fields)',
    ]);
    const bytes = await withHints('apiVersion: keyrot/v1\nname: p\nsource: { type: generated, bytes: "32" }\npublish: [{ type: file, path: k.json }]\n');
    expect(bytes).toEqual([{ at: '3:35', field: 'source.bytes', message: '`bytes` is a number, written here as text ("32")', hint: 'write it without quotes: `bytes: 32`' }]);
    // A missing field is placed where it goes (after the plan's last field), with an example to add.
    const missing = await withHints('apiVersion: keyrot/v1\nname: p\nsource: { type: generated }\n');
    expect(missing).toEqual([{ at: '4:1', field: 'publish', message: '`publish` is missing', hint: expect.stringContaining('add `publish: [{ type: file, path: keys.json }]`') }]);
  });

  it('says an empty plan file is empty (only comments too), instead of its first missing field', async () => {
    for (const text of ['', '\n  \n', '# to be written\n']) {
      expect(await problemsOf(text)).toEqual([{ at: '1:1', field: '(file)', message: 'the plan file is empty' }]);
    }
  });

  it('reports YAML syntax errors with their position', async () => {
    const problems = await problemsOf('apiVersion: keyrot/v1\nname: [unclosed\n');
    expect(problems[0]).toMatchObject({ field: '(yaml)' });
    expect(problems[0]!.at).toMatch(/^\d+:\d+$/);
  });

  it('refuses literal credentials and says where they go instead', async () => {
    const fakeAwsSecret = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');
    const result = await loadPlan(ws.write('plan.yaml', [
      'apiVersion: keyrot/v1',
      'name: api',
      'description: "' + fakeAwsSecret + '"',
      'source: { type: generated }',
      'publish: [{ type: file, path: "hvs.CAESIJ4kX3bq8ZpQ7nE1wL0aYtR2uVmKsDfGh" }]',
    ].join('\n')));
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => [p.line, p.field, p.message])).toEqual([
      [3, 'description', expect.stringContaining('an AWS secret access key')],
      [5, 'publish[0].path', expect.stringContaining('a Vault token')],
    ]);
    expect(problems[0]!.hint).toMatch(/identity chain/);
    // The message points at the value; it never repeats it.
    expect(problems.map(formatProblem).join('\n')).not.toContain(fakeAwsSecret);
  });

  it('refuses a password in any URL of a plan, and a webhook URL\'s once, with its own hint', async () => {
    const problems = await problemsOf([
      'apiVersion: keyrot/v1',
      'name: api',
      'source: { type: aws-iam, user: svc, region: us-east-1, endpoint: "https://svc:pw0rd-in-url@iam.internal" }',
      'publish: [{ type: file, path: k.json }]',
      'healthCheck: { type: http, url: "https://probe:s3cret-probe@api.internal/healthz" }',
      'notify: [{ type: webhook, url: "https://hook:s3cret-hook@deploy.internal/hooks/refresh" }]',
    ].join('\n'));
    expect(problems).toEqual([
      { at: '3:66', field: 'source.endpoint', message: expect.stringContaining('(a password in a URL)') },
      { at: '5:33', field: 'healthCheck.url', message: expect.stringContaining('(a password in a URL)') },
      { at: '6:32', field: 'notify[0].url', message: expect.stringMatching(/^a webhook URL may not carry credentials/) },
    ]);
  });

  it('flags an unknown template placeholder', async () => {
    const problems = await problemsOf('apiVersion: keyrot/v1\nname: api\nsource: { type: generated }\npublish: [{ type: file, path: "{{keyid}}.json" }]\n');
    expect(problems).toEqual([{ at: '4:31', field: 'publish[0].path', message: 'unknown template field {{keyid}}' }]);
  });
});

describe('hostile plan files', () => {
  it('refuses an alias bomb as a problem at the first alias, not a crash', async () => {
    const bomb = [
      'apiVersion: keyrot/v1',
      'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]',
      ...['b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
    ].join('\n');
    const problems = await problemsOf(bomb);
    expect(problems).toEqual([{ at: '3:8', field: '(yaml)', message: 'aliases expand to too much data (an alias bomb?)' }]);
  });

  it(`refuses a plan over ${MAX_PLAN_BYTES} bytes without reading it all`, async () => {
    const big = `apiVersion: keyrot/v1\ndescription: "${'x'.repeat(MAX_PLAN_BYTES)}"\n`;
    expect(await problemsOf(big)).toEqual([{ at: '1:1', field: '(file)', message: 'larger than 1 MB, the most a plan may be' }]);
    // Just under the limit is read (and judged on its content).
    const fits = `apiVersion: keyrot/v1\nname: api\nsource: { type: generated }\npublish: [{ type: file, path: k.json }]\n# ${'x'.repeat(MAX_PLAN_BYTES - 200)}\n`;
    const loaded = await loadPlan(ws.write('fits.yaml', fits));
    expect(loaded.ok ? 'ok' : loaded.problems.map(formatProblem)).toBe('ok');
  });

  it('opens only a regular file: not an endless device, a folder or a named pipe (which would block)', async () => {
    mkdirSync(path.join(ws.dir, 'folder.yaml'));
    execFileSync('mkfifo', [path.join(ws.dir, 'pipe.yaml')]);
    symlinkSync('/dev/zero', path.join(ws.dir, 'zero.yaml'));
    for (const file of ['/dev/zero', 'zero.yaml', 'folder.yaml', 'pipe.yaml'].map((f) => path.resolve(ws.dir, f))) {
      const result = await loadPlan(file);
      expect(result.ok ? [] : result.problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual(['1:1 not a regular file (a folder, a device or a pipe?)']);
    }
  });
});

describe('the shipped JSON Schema', () => {
  it('is the one generated from the plan schema (run `npm run schema` to refresh it)', () => {
    const shipped = JSON.parse(readFileSync('schema/rotation-plan.schema.json', 'utf8'));
    expect(shipped).toEqual(planJsonSchema());
  });
});
