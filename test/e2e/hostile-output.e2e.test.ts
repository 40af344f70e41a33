// Values keyrot did not write itself (a scanner's file names and rule ids, a plan's values, what an
// audit log holds) never reach the terminal raw, in any output mode: an escape sequence that clears
// the screen or sets the window title, a carriage return that overwrites a line, a newline that forges
// a log line, a bidi override. Text output shows them escaped; JSON carries them as JSON strings, with
// every unprintable character a \u escape.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyrot, requireBuild } from '../helpers/cli.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

// Anything a terminal would act on, besides the newline that ends each of keyrot's own lines.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
const HOSTILE_FILE = 'src/\x1b]0;pwned\x07\x1b[2J.env';
const HOSTILE_RULE = 'generic-api-key\r\n2026-01-01T00:00:00.000Z api done: forged\u202e';

let ws: Workspace;
beforeAll(() => {
  requireBuild();
});
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const outputs = (r: { stdout: string; stderr: string }) => `${r.stdout}${r.stderr}`;

describe('hostile bytes never reach the terminal', () => {
  const report = () => ws.write('report.json', JSON.stringify([
    { RuleID: HOSTILE_RULE, File: HOSTILE_FILE, StartLine: 3, Match: 'token = sk_unrelated_0123456789abcdef', Secret: 'sk_unrelated_0123456789abcdef' },
    { RuleID: 'aws-access-token', File: 'a\u009b2Jb.env', StartLine: 1, Match: 'AKIAZZZZZZZZZZZZZZZ1', Secret: 'AKIAZZZZZZZZZZZZZZZ1' },
  ]));

  for (const mode of ['text', 'plain']) {
    it(`a scanner's file names and rule ids are escaped in ${mode} output`, async () => {
      ws.plan('api', localPlan('api'));
      report();
      const result = await keyrot(['revoke', '--from-report', 'report.json', '--yes', '--output', mode, ws.dir], { cwd: ws.dir });
      expect(result.code).toBe(2); // no plan holds either finding
      expect(outputs(result)).not.toMatch(RAW);
      expect(result.stderr).toContain('src/\\x1b]0;pwned\\x07\\x1b[2J.env:3 (gitleaks generic-api-key\\r\\n2026-01-01T00:00:00.000Z api done: forged\\u202e)');
      expect(result.stderr).toContain('a\\x9b2Jb.env:1');
      // No forged line: every line keyrot printed is one of its own.
      expect(outputs(result).split('\n').some((l) => l.startsWith('2026-01-01T00:00:00.000Z api done'))).toBe(false);
    });
  }

  it('in JSON output the same values are JSON strings, every unprintable character a \\u escape', async () => {
    ws.plan('api', localPlan('api'));
    report();
    const result = await keyrot(['revoke', '--from-report', 'report.json', '--yes', '--json', ws.dir], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stdout).not.toMatch(RAW);
    const docs = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; message: string });
    expect(docs.map((d) => d.message).join('\n')).toContain('a\\x9b2Jb.env:1');
  });

  it('a plan value (a target path written with YAML escapes) is escaped by plan, and kept exact in JSON', async () => {
    ws.write('api.yaml', [
      'apiVersion: keyrot/v1', 'name: api', 'source: { type: generated }',
      'publish: [{ type: file, path: "keys\\e]0;pwned\\a\\u202e.json" }]',
    ].join('\n'));
    const text = await keyrot(['plan', 'api.yaml'], { cwd: ws.dir });
    expect(text.code, outputs(text)).toBe(0);
    expect(outputs(text)).not.toMatch(RAW);
    expect(text.stdout).toContain('keys\\x1b]0;pwned\\x07\\u202e.json');
    const json = await keyrot(['plan', '--json', 'api.yaml'], { cwd: ws.dir });
    expect(json.stdout).not.toMatch(RAW);
    const doc = JSON.parse(json.stdout) as { plans: Array<{ targets: string[] }> };
    expect(doc.plans[0]!.targets[0]).toContain('keys\x1b]0;pwned\x07\u202e.json');
  });

  it('an audit record keyrot did not write (a detail with escapes) is escaped by history, and kept exact in --json', async () => {
    ws.plan('api', localPlan('api'));
    mkdirSync(path.join(ws.dir, '.keyrot'));
    const record = { time: '2026-01-01T00:00:00.000Z', plan: 'api', rotationId: 'r1', phase: 'create', action: 'create-key', outcome: 'ok', detail: 'x\x1b[2J\rforged\u2028y', actor: 'a@b' };
    writeFileSync(path.join(ws.dir, '.keyrot', 'audit.jsonl'), `${JSON.stringify(record)}\n`);
    const table = await keyrot(['history', '--state', '.keyrot'], { cwd: ws.dir });
    expect(table.code, outputs(table)).toBe(0);
    expect(outputs(table)).not.toMatch(RAW);
    expect(table.stdout).toContain('x\\x1b[2J\\rforged\\u2028y');
    const json = await keyrot(['history', '--state', '.keyrot', '--json'], { cwd: ws.dir });
    expect(json.stdout).not.toMatch(RAW);
    expect((JSON.parse(json.stdout.trim()) as { detail: string }).detail).toBe(record.detail);
  });
});
