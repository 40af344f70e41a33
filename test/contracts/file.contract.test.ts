// The file store against the shared SecretStore contract, on a real temporary folder.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileStore } from '../../src/providers/stores/file/store.js';
import type { SecretStore } from '../../src/providers/types.js';
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

describe('the file store, beyond the contract', () => {
  const at = { plan: PLAN, rotationId: 'r1', rotatedAt: new Date() };
  /** A file store of `target` (relative to a fresh folder), handed to `fn` with that folder; removed after. */
  async function inFolder(target: string, fn: (store: SecretStore, dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keyrot-file-store-'));
    try {
      const ctx = { planName: PLAN, planDir: dir, stateDir: dir, env: {}, now: () => new Date(), note: () => undefined };
      await fn(createFileStore({ type: 'file', path: target, adopt: false }, ctx), dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('makes the file\'s folder again when it was removed between two writes of one rotation', () =>
    inFolder('out/keys.json', async (store, dir) => {
      await store.publish({ keyId: 'key-one', secret: 'first-secret-value-0001' }, at);
      await rm(path.join(dir, 'out'), { recursive: true });
      await store.publish({ keyId: 'key-two', secret: 'second-secret-value-002' }, at);
      expect(JSON.parse(await readFile(path.join(dir, 'out', 'keys.json'), 'utf8')).current.keyId).toBe('key-two');
    }));

  it('reads again a file someone else put in place after its own write, even one of the same size', () =>
    inFolder('keys.json', async (store, dir) => {
      await store.publish({ keyId: 'key-one', secret: 'first-secret-value-0001' }, at);
      expect((await store.readBack())?.keyId).toBe('key-one');
      // An editor's save: a new file renamed over it, with the same length as keyrot's.
      const file = path.join(dir, 'keys.json');
      const theirs = (await readFile(file, 'utf8')).replace('key-one', 'key-two').replace('first-secret-value-0001', 'other-secret-value-0002');
      await writeFile(`${file}.editor`, theirs);
      await rename(`${file}.editor`, file);
      expect(await store.readBack()).toEqual({ keyId: 'key-two', secret: 'other-secret-value-0002' });
    }));
});
