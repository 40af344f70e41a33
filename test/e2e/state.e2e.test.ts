// Bad state on disk through the built binary: exit 2 or 4 with a message and a way out, no stack trace.
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot } from '../helpers/cli.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);

describe('state that cannot be used', () => {
  it('a corrupt record: run exits 2 naming the file; abandon sets it aside; the next run starts over', async () => {
    const plan = ws.plan('api', localPlan('api', { drain: '0s', soak: '0s' }));
    expect((await keyrot(['run', '--yes', plan], { cwd: ws.dir })).code).toBe(0);
    const file = path.join(ws.dir, '.keyrot', 'state', 'api.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(ws.read('.keyrot/state/api.json')), phase: 'bogus', published: null }));

    const run = await keyrot(['run', '--yes', plan], { cwd: ws.dir });
    expect(run.code).toBe(2);
    noStack(run.stderr);
    expect(run.stderr).toContain(`state file ${file} is not a rotation record keyrot can use: phase: `);
    expect(run.stderr).toContain(`keyrot abandon ${plan}`);

    const abandon = await keyrot(['abandon', plan], { cwd: ws.dir });
    expect(abandon.code).toBe(0);
    expect(abandon.stdout).toContain('it was moved to');
    expect(readdirSync(path.dirname(file)).filter((n) => n.startsWith('api.json.unusable-'))).toHaveLength(1);
    expect(ws.read('.keyrot/audit.jsonl')).toMatch(/"action":"abandon".*unusable state moved to/);

    expect((await keyrot(['run', '--yes', plan], { cwd: ws.dir })).code).toBe(0);
  });

  it('a mistyped --state for status or history: exit 2 naming the folder and how to fix it (it reported nothing, exit 0); run creates it', async () => {
    const plan = ws.plan('api', localPlan('api'));
    const typo = path.join(ws.dir, 'stat');
    for (const command of [['status'], ['status', plan], ['history'], ['history', 'api']]) {
      const read = await keyrot([...command, '--state', typo], { cwd: ws.dir });
      expect(read.code, command.join(' ')).toBe(2);
      expect(read.stderr).toContain(`state folder ${typo} (--state or KEYROT_STATE) does not exist: keyrot ${command[0]} has nothing to read there`);
      expect(read.stderr).toContain('check the path for a typo');
      expect(read.stdout).toBe('');
      noStack(read.stderr);
    }
    expect((await keyrot(['run', '--state', typo, plan], { cwd: ws.dir })).code).toBe(0);
    const status = await keyrot(['status', '--state', typo, plan], { cwd: ws.dir });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('api');
  });

  it('--state /proc/keyrot: exit 2 at once, and .keyrot being a file: exit 2 naming it', async () => {
    const plan = ws.plan('api', localPlan('api'));
    const started = Date.now();
    const proc = await keyrot(['run', '--state', '/proc/keyrot', plan], { cwd: ws.dir });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proc.code).toBe(2);
    noStack(proc.stderr);
    expect(proc.stderr).toContain('cannot keep state in /proc/keyrot');

    ws.write('.keyrot', 'a file where the state folder goes');
    const blocked = await keyrot(['run', plan], { cwd: ws.dir });
    expect(blocked.code).toBe(2);
    noStack(blocked.stderr);
    expect(blocked.stderr).toContain(`cannot keep state in ${path.join(ws.dir, '.keyrot')}: it is a file, not a folder`);
  });

  // Issue 25, defect 11: a file there (now a link: a file there is a lock) made keyrot spin at 100% CPU forever, leaving *.tmp-* folders behind.
  it('a symbolic link where a plan\'s lock belongs: exit 2 at once naming it, even with --wait-lock, and nothing left beside it', async () => {
    const plan = ws.plan('api', localPlan('api'));
    const locks = path.join(ws.dir, '.keyrot', 'locks');
    mkdirSync(locks, { recursive: true });
    symlinkSync(os.tmpdir(), path.join(locks, 'api.lock'));
    const started = Date.now();
    const run = await keyrot(['run', '--wait-lock', '10m', plan], { cwd: ws.dir });
    expect(Date.now() - started).toBeLessThan(20_000); // a spin never ends; the test's own timeout would
    expect(run.code, run.stderr).toBe(2);
    noStack(run.stderr);
    expect(run.stderr).toContain(`cannot keep state in ${path.join(locks, 'api.lock')}: it is a symbolic link, where the lock of plan api belongs`);
    expect(readdirSync(locks)).toEqual(['api.lock']);
  });
});
