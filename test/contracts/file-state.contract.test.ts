// The file state store (the embedded default) against the StateStore contract, on a real temporary folder.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileStateStore } from '../../src/state/file-store.js';
import { stateStoreContract } from './state-store.contract.js';

stateStoreContract('file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keyrot-state-contract-'));
  return {
    store: new FileStateStore(dir),
    spec: dir,
    env: {},
    reopen: () => new FileStateStore(dir),
    // A dead holder on this host: its lock folder is refreshed every second and taken over 2 s after the last refresh.
    takeoverAfterMs: 900,
    takeoverWithinMs: 5_000,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
