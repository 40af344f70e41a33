// Issue 12, harness item 6: a full disk under the state folder, for real: a small tmpfs (where this
// machine allows mounting; the ENOSPC seam in test/unit/state-store.test.ts covers the rest). keyrot
// must exit 4 with "could not write state: disk full", leave the state file as it was, and finish
// the rotation on a re-run once there is space again.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes, readAudit, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { recordFaults } from './faults.js';

const PAGE = 4096;
let mnt: string | undefined;
let ws: Workspace;

beforeAll(() => {
  ws = workspace();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    mnt = dir;
  } catch {
    rmSync(dir, { recursive: true, force: true }); // not allowed here: the seam test stands in
  }
});
afterAll(() => {
  if (mnt) {
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
  ws.cleanup();
});

/** Fill the disk at `dir`, then free `pages` pages; returns the filler file. */
function fill(dir: string, pages: number): string {
  const filler = path.join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(PAGE, 1);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  truncateSync(filler, Math.max(0, size - pages * PAGE));
  return filler;
}

describe('a full disk under the state folder (tmpfs)', () => {
  afterAll(() => recordFaults('a full disk under the state folder (tmpfs)', { 'disk full under a save': 1 }));

  it('exit 4 "could not write state: disk full", state intact, no stack; the re-run finishes once space is back', async (ctx) => {
    if (!mnt) ctx.skip();
    const state = mnt!;
    const plan = ws.plan('api', localPlan('api', { drain: '0s', soak: '0s' }));
    const run = () => keyrot(['run', '--yes', '--state', state, plan], { cwd: ws.dir });
    const stateFile = path.join(state, 'state', 'api.json');

    expect((await run()).code).toBe(0); // the first key
    const before = readFileSync(stateFile, 'utf8');
    const firstKey = readStore(path.join(ws.dir, 'api-keys.json')).current!.keyId;

    // Full: the lock cannot be taken. Full but for one page: the lock is, and the first state save of
    // the new rotation fails (with two pages free, atomic writes recycle them and the run finishes).
    for (const [pages, where] of [[0, path.join(state, 'locks', 'api.lock')], [1, stateFile]] as const) {
      const filler = fill(state, pages);
      const full = await run();
      expect(full.code, full.stderr).toBe(4);
      expect(full.stderr).toContain(`could not write state: disk full (${where})`);
      expect(full.stderr).not.toMatch(/internal error|\n\s+at /);
      // Nothing half-written: the record is the last complete one, and no temp file is left beside it.
      expect(readFileSync(stateFile, 'utf8')).toBe(before);
      expect(readdirSync(path.dirname(stateFile))).toEqual(['api.json']);
      expect(existsSync(path.join(state, 'locks', 'api.lock'))).toBe(false);
      rmSync(filler);
    }

    // Space is back: the rotation finishes with exactly one current key, a new one.
    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    const store = readStore(path.join(ws.dir, 'api-keys.json'));
    expect(store.current!.keyId).not.toBe(firstKey);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).phase).toBe('done');
    expect(readAudit(state).some((r) => r.action === 'delete-key' && r.oldKeyId === firstKey)).toBe(true);
    expect(existsSync(path.join(state, 'locks', 'api.lock'))).toBe(false);
    expect(leakedIndexes(readFileSync(path.join(state, 'audit.jsonl'), 'utf8') + readFileSync(stateFile, 'utf8'), secretsIn(store))).toEqual([]);
  }, 60_000);
});
