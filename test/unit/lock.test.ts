// Invariant 7: one process at a time advances a plan; the holder is named; a dead one is replaced.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let store: FileStateStore;
beforeEach(() => {
  ws = workspace();
  store = new FileStateStore(path.join(ws.dir, '.keyrot'));
});
afterEach(() => ws.cleanup());

const holder = (pid: number, command = 'keyrot run api.yaml') => ({ host: os.hostname(), pid, command, since: '2026-11-27T10:00:00.000Z' });

describe('the plan lock', () => {
  it('refuses a second holder at once, naming the first (host, pid, command, since)', async () => {
    const lock = await store.lock('api', holder(process.pid), 0);
    const err = await store.lock('api', holder(process.pid, 'keyrot run again'), 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyrotError);
    expect((err as KeyrotError).code).toBe('lock-held');
    expect((err as KeyrotError).exitCode).toBe(3);
    expect((err as KeyrotError).message).toBe(`plan api is locked by pid ${process.pid} on ${os.hostname()} (keyrot run api.yaml) since 2026-11-27T10:00:00.000Z`);
    await lock.release();
  });

  it('with a wait, gets the lock once the holder releases it', async () => {
    const first = await store.lock('api', holder(process.pid), 0);
    setTimeout(() => void first.release(), 300);
    const second = await store.lock('api', holder(process.pid, 'second'), 5_000);
    expect(second.lost).toBeUndefined();
    await second.release();
  });

  it('locks plans independently', async () => {
    const a = await store.lock('a', holder(process.pid), 0);
    const b = await store.lock('b', holder(process.pid), 0);
    await Promise.all([a.release(), b.release()]);
  });

  it('takes over the lock of a holder that died without releasing it', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    const dir = path.join(ws.dir, '.keyrot', 'locks');
    mkdirSync(path.join(dir, 'api.lock'), { recursive: true }); // as a SIGKILLed run leaves it: fresh
    writeFileSync(path.join(dir, 'api.holder.json'), JSON.stringify(holder(dead)));

    const lock = await store.lock('api', holder(process.pid, 'the next run'), 0);
    expect(lock.lost).toBeUndefined();
    await lock.release();
  }, 15_000);
});
