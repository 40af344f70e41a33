// What the file plan lock's tests share: a fresh state folder with its store per test, a holder on this
// host, the pid of a process that has exited, and a way to age a lock as a holder that stopped refreshing it.
import { spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { workspace, type Workspace } from './workspace.js';

/** A fresh workspace and file store for each test: read its fields inside the tests. */
export function lockFixture(): { ws: Workspace; store: FileStateStore; lock: () => string } {
  const at = {} as { ws: Workspace; store: FileStateStore; lock: () => string };
  beforeEach(() => {
    at.ws = workspace();
    at.store = new FileStateStore(path.join(at.ws.dir, '.keyrot'));
  });
  afterEach(() => at.ws.cleanup());
  at.lock = () => path.join(at.ws.dir, '.keyrot', 'locks', 'api.lock');
  return at;
}

export const holder = (pid: number, command = 'keyrot run api.yaml') => ({ host: os.hostname(), pid, command, since: '2026-11-27T10:00:00.000Z' });
/** A pid whose process has exited: free. */
export const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
/** Set `file`'s times `ms` in the past, as a holder that stopped refreshing its lock leaves it. */
export const age = (file: string, ms: number) => utimesSync(file, new Date(Date.now() - ms), new Date(Date.now() - ms));
