// The file plan lock when the disk answers with something other than "the lock exists": a full disk
// or an I/O error while taking it is reported at once (state-io, naming the lock folder), never
// waited on as if another run held the lock. Only rename is made to fail, in-process (as root, a
// permission error cannot be staged on a real folder).
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeyrotError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

const failRename = vi.hoisted(() => ({ code: undefined as string | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof fs.rename = async (from, to) => {
    if (failRename.code && String(to).endsWith('.lock')) throw Object.assign(new Error(`rename ${failRename.code}`), { code: failRename.code });
    return fs.rename(from, to);
  };
  return { ...fs, default: { ...fs, rename }, rename };
});

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => {
  failRename.code = undefined;
  ws.cleanup();
});

describe('the file plan lock on a failing disk', () => {
  it.each(['ENOSPC', 'EIO'])('%s while taking the lock is reported at once as a state I/O error, whatever the wait', async (code) => {
    failRename.code = code;
    const store = new FileStateStore(path.join(ws.dir, '.keyrot'));
    const started = Date.now();
    const err = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'keyrot run api.yaml', since: '2026-11-27T10:00:00.000Z' }, 3_000)
      .then(() => undefined, (e: unknown) => e as KeyrotError);
    expect(Date.now() - started).toBeLessThan(2_500); // not waited out as a held lock
    expect(err).toMatchObject({ code: 'state-io', message: expect.stringContaining(path.join('.keyrot', 'locks', 'api.lock')) });

    failRename.code = undefined; // nothing left behind: the next run takes the lock at once
    const lock = await store.lock('api', { host: os.hostname(), pid: process.pid, command: 'the next run', since: '2026-11-27T10:00:00.000Z' }, 0);
    await lock.release();
  });
});
