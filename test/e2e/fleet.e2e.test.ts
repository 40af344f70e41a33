// Many plans in one folder, advanced a few at a time, with one summary and the worst exit code.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot } from '../helpers/cli.js';
import { readAudit, readStore } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const names = Array.from({ length: 20 }, (_, i) => `demo-${String(i + 1).padStart(2, '0')}`);

describe('keyrot run on a folder of plans', () => {
  it('rotates 20 demo plans four at a time and prints a summary table', async () => {
    for (const name of names) ws.plan(name, localPlan(name, { drain: '0s', soak: '0s', rehearse: true }));

    const result = await keyrot(['run', '--yes', '--concurrency', '4', ws.dir], { cwd: ws.dir });

    expect(result.code, result.stderr).toBe(0);
    const table = result.stdout.slice(result.stdout.lastIndexOf('\nplan '));
    const rows = table.split('\n').filter((line) => /^demo-\d\d /.test(line));
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(names);
    expect(rows.every((r) => /^demo-\d\d\s+done\s+rotated key-\w+ -> key-\w+/.test(r))).toBe(true);
    expect(table).toContain('20 plans: 20 done');
    for (const name of names) {
      const store = readStore(path.join(ws.dir, `${name}-keys.json`));
      expect(store.current?.keyId, name).toMatch(/^key-/);
      expect(store.previous, name).toBeUndefined();
    }
    // Each plan's audit trail is whole, interleaved with the others' in the one log.
    const audit = readAudit(path.join(ws.dir, '.keyrot'));
    for (const name of names) expect(audit.filter((r) => r.plan === name && r.action === 'delete-key'), name).toHaveLength(1);
  }, 60_000);

  it('exits with the worst outcome: one plan held among plans that finish', async () => {
    ws.plan('fine', localPlan('fine', { drain: '0s', soak: '0s' }));
    ws.plan('blocked', localPlan('blocked', { drain: '0s', soak: '0s' }));
    ws.write('blocked-keys.json', '{"apiKey":"written by hand"}'); // not keyrot's: publish must refuse

    const result = await keyrot(['run', ws.dir], { cwd: ws.dir });

    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/\nblocked\s+held \(store-unmanaged\)/);
    expect(result.stdout).toMatch(/\nfine\s+done/);
    expect(result.stdout).toContain('2 plans: 1 held, 1 done');
  });
});
