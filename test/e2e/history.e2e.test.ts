// `keyrot history` through the built binary, over the audit log a real demo rotation left behind.
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/log.js';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes, readAudit, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let elsewhere: Workspace;
let demoPlan: string;
const secrets: string[] = [];
const stateDir = () => path.join(ws.dir, '.keyrot');
const OLD_TIME = '2020-01-01T00:00:00.000Z';
const ESC = '\u001b[';

const rowsOf = (stdout: string) => stdout.trimEnd().split('\n').slice(1); // below the header
const history = (args: string[], env?: NodeJS.ProcessEnv) => keyrot(['history', ...args], { cwd: ws.dir, env });

beforeAll(async () => {
  ws = workspace();
  elsewhere = workspace();
  // demo: a first key, then a full rotation; other: held at once (its store file is not keyrot's).
  demoPlan = ws.plan('demo', localPlan('demo', { drain: '0s', soak: '0s' }));
  expect((await keyrot(['run', demoPlan], { cwd: ws.dir })).code).toBe(0);
  secrets.push(...secretsIn(readStore(path.join(ws.dir, 'demo-keys.json'))));
  expect((await keyrot(['run', '--yes', demoPlan], { cwd: ws.dir })).code).toBe(0);
  secrets.push(...secretsIn(readStore(path.join(ws.dir, 'demo-keys.json'))));
  ws.write('other-keys.json', '{"current": "someone else\'s"}');
  expect((await keyrot(['run', ws.plan('other', localPlan('other'))], { cwd: ws.dir })).code).toBe(3);
  // An old record, written last but oldest of all.
  const old: AuditRecord = {
    time: OLD_TIME, plan: 'demo', rotationId: '20200101T000000Z-0000', phase: 'create', action: 'create-key',
    oldKeyId: null, newKeyId: 'key-ancient', outcome: 'ok', detail: 'created key-ancient', actor: 'ops@host',
  };
  appendFileSync(path.join(stateDir(), 'audit.jsonl'), `${JSON.stringify(old)}\n`);
}, 60_000);
afterAll(() => {
  ws.cleanup();
  elsewhere.cleanup();
});

describe('keyrot history', () => {
  it('lists every record of the state folder here, oldest first, one readable row each', async () => {
    const result = await history([]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TIME +PLAN +PHASE +ACTION +OUTCOME +OLD -> NEW KEY +DETAIL$/);
    expect(rows).toHaveLength(readAudit(stateDir()).length);
    expect(rows[0]).toMatch(/^2020-01-01T00:00:00Z {2}demo +create +create-key +ok +- -> key-ancient +created key-ancient$/);

    const demo = readAudit(stateDir()).filter((r) => r.plan === 'demo' && r.time !== OLD_TIME);
    const deleted = demo.find((r) => r.action === 'delete-key')!;
    expect(rows).toContainEqual(expect.stringMatching(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ {2}demo +delete +delete-key +ok +${deleted.oldKeyId} -> ${deleted.newKeyId} +deleted ${deleted.oldKeyId}$`),
    ));
    expect(rows).toContainEqual(expect.stringMatching(/ other +create +held +held +.*store-unmanaged: file other-keys\.json holds a secret keyrot does not manage/));
    expect(result.stdout).not.toContain(ESC); // NO_COLOR is set by the test helper
  });

  it('filters by plan name, or by plan file, alike', async () => {
    const byName = await history(['demo']);
    const byFile = await history([demoPlan]);
    expect(byName.code).toBe(0);
    expect(byFile.stdout).toBe(byName.stdout);
    const rows = rowsOf(byName.stdout);
    expect(rows).toHaveLength(11); // 3 (first key) + 7 (rotation) + the old one
    expect(rows.every((r) => /^\S+ {2}demo /.test(r))).toBe(true);
  });

  it('filters by age: a duration back from now, or a date', async () => {
    for (const since of ['7d', '2021-01-01']) {
      const rows = rowsOf((await history(['demo', '--since', since])).stdout);
      expect(rows).toHaveLength(10);
      expect(rows.join('\n')).not.toContain('key-ancient');
    }
  });

  it('prints the records as stored, one JSON object per line, with --json', async () => {
    const result = await history(['--json', 'demo', '--since', '1h']);
    expect(result.code).toBe(0);
    const records = result.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    expect(records).toEqual(readAudit(stateDir()).filter((r) => r.plan === 'demo' && r.time !== OLD_TIME));
    expect(records.map((r) => r.action)).toEqual([
      'create-key', 'publish', 'verify',
      'create-key', 'publish', 'verify', 'deactivate-key', 'retire-from-store', 'delete-key', 'purge-from-store',
    ]);
  });

  it('reads another state folder with --state, from anywhere', async () => {
    const result = await keyrot(['history', '--state', stateDir(), 'other'], { cwd: elsewhere.dir });
    expect(result.code).toBe(0);
    expect(rowsOf(result.stdout)).toEqual([expect.stringMatching(/ other +create +held +held /)]);
  });

  it('says so when nothing matches, or when there is no state folder', async () => {
    const none = await history(['payments', '--since', '1d']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe(`no audit records for payments since 1d in ${stateDir()}\n`);
    const nowhere = await keyrot(['history'], { cwd: elsewhere.dir });
    expect(nowhere.code).toBe(0);
    expect(nowhere.stdout).toMatch(/^no audit log here: .*pass a plan file or --state DIR\n$/);
  });

  it('colours outcomes only when asked to (a terminal, or FORCE_COLOR) and never under NO_COLOR', async () => {
    const coloured = await history(['demo'], { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(coloured.stdout).toContain(`${ESC}32mok`);
    const plain = await history(['demo'], { NO_COLOR: '1', FORCE_COLOR: '1' });
    expect(plain.stdout).not.toContain(ESC);
  });

  it('refuses a --since that is neither a duration nor a date, with exit 2', async () => {
    const result = await history(['--since', 'last tuesday']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--since last tuesday is neither a duration (7d, 12h) nor a date (2026-01-31)');
  });

  it('skips a line cut short in the log, and says so', async () => {
    const copy = elsewhere.write('audit.jsonl', `${readFileSync(path.join(stateDir(), 'audit.jsonl'), 'utf8')}{"time":"2026-`);
    const result = await keyrot(['history', '--state', path.dirname(copy), '--json'], { cwd: elsewhere.dir });
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(readAudit(stateDir()).length);
    expect(result.stderr).toBe(`skipped 1 unreadable line in ${copy}\n`);
  });

  it('skips and counts lines that are JSON but not records (42, a partial object, a record with a bad outcome), in the table and with --json', async () => {
    const log = readFileSync(path.join(stateDir(), 'audit.jsonl'), 'utf8');
    const bad = ['42', '{"plan":"g"}', 'null', '[]', '"text"', JSON.stringify({ ...readAudit(stateDir())[0], outcome: 'exploded' })];
    const copy = elsewhere.write('audit.jsonl', `${bad.join('\n')}\n${log}`);
    for (const args of [[], ['--json'], ['demo']]) {
      const result = await keyrot(['history', '--state', path.dirname(copy), ...args], { cwd: elsewhere.dir });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(`skipped ${bad.length} unreadable lines in ${copy}\n`);
    }
    const json = await keyrot(['history', '--state', path.dirname(copy), '--json'], { cwd: elsewhere.dir });
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(readAudit(stateDir()).length);
  });

  it('shows no secret in any form of output', async () => {
    expect(secrets.length).toBeGreaterThan(1);
    const outputs = await Promise.all([history([]), history(['--json']), history(['demo', '--since', '1h'])]);
    expect(leakedIndexes(outputs.map((o) => o.stdout + o.stderr).join('\n'), secrets)).toEqual([]);
  });
});
