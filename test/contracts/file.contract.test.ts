// The file store against the shared SecretStore contract, on a real temporary folder.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileStore } from '../../src/providers/stores/file/store.js';
import { PLAN, secretStoreContract } from './secret-store.contract.js';

secretStoreContract('file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keyrot-file-contract-'));
  const file = path.join(dir, 'keys.json');
  const ctx = { planName: PLAN, planDir: dir, stateDir: dir, env: {}, now: () => new Date(), note: () => undefined };
  const content = () => readFile(file, 'utf8').catch(() => '');
  return {
    store: createFileStore({ type: 'file', path: 'keys.json', adopt: false }, ctx),
    adopting: () => createFileStore({ type: 'file', path: 'keys.json', adopt: true }, ctx),
    writeUnmanaged: () => writeFile(file, '{"apiKey":"written-by-hand-123"}'),
    writeOver: () => writeFile(file, '{"apiKey":"written-over-by-hand-456"}'),
    holds: async (secret) => (await content()).includes(secret),
    revision: async () => createHash('sha256').update(await content()).digest('hex'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
