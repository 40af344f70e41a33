// The generated issuer's ledger on disk: `<state>/generated/<plan>.json`, written atomically (mode
// 0600) with a version that refuses a lost update. A ledger written before versions were recorded reads as version 0.
// As with state records (file-store.ts), what was last read or written is remembered: a save is
// checked against it while the file is still the one this process saw (one stat, no re-read), and a
// save that changes nothing writes nothing.
import { statSync, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { readBounded } from '../bounded-read.js';
import { KeyrotError } from '../errors.js';
import { fileSignature, writeAtomic } from '../shared/atomic-file.js';
import { ensureDir, stateIoError } from './io.js';
import type { LedgerEntry, PlanLedger } from './store.js';

/** A ledger holds two keys' ids and fingerprints; anything this size is not one. */
const MAX_LEDGER_BYTES = 1024 * 1024;

export function fileLedger(dir: string, plan: string): PlanLedger {
  const file = path.join(dir, `${plan}.json`);
  let known: { version: number; keys: string; file: string } | undefined;
  const load = async () => {
    // Synchronous, as records are read (bounded-read.ts): a few hundred bytes, and status reads 10,000 of them.
    let before: Stats | undefined;
    let text: string;
    try {
      before = statSync(file);
      const read = readBounded(file, MAX_LEDGER_BYTES);
      if (read === 'not-a-file' || read === 'too-large') {
        throw new KeyrotError('state-corrupt', { path: file, plan, reason: read === 'too-large' ? 'it is too large to be a key ledger' : 'it is not a regular file' });
      }
      text = read;
    } catch (e) {
      if (e instanceof KeyrotError) throw e;
      known = undefined;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [] as LedgerEntry[], version: 0 };
      throw await stateIoError(e, file, { plan, verb: 'read' });
    }
    let value: { keys: LedgerEntry[]; version?: number };
    try {
      value = JSON.parse(text) as { keys: LedgerEntry[]; version?: number };
      if (!Array.isArray(value.keys)) throw new Error('no "keys" list');
    } catch (e) {
      known = undefined;
      throw new KeyrotError('state-corrupt', { path: file, plan, reason: `the key ledger is not readable (${(e as Error).message})` });
    }
    const version = typeof value.version === 'number' ? value.version : 0;
    known = before ? { version, keys: JSON.stringify(value.keys), file: fileSignature(before) } : undefined;
    return { keys: value.keys, version };
  };
  /** The stored version and keys: from memory while the file is the one last seen, else read again. */
  const stored = async () => {
    if (known && (await stat(file).then(fileSignature, () => undefined)) === known.file) return known;
    const { keys, version } = await load();
    return { version, keys: JSON.stringify(keys) };
  };
  return {
    where: path.relative(process.cwd(), file),
    load,
    async save(keys, version) {
      const found = await stored();
      if (found.version !== version) throw new KeyrotError('state-conflict', { plan, expected: version, found: found.version });
      if (found.keys === JSON.stringify(keys)) return version; // nothing changed: nothing to write
      await ensureDir(dir);
      const written = await writeAtomic(file, `${JSON.stringify({ keys, version: version + 1 }, null, 2)}\n`).catch(async (e: unknown) => {
        known = undefined;
        throw await stateIoError(e, file, { plan });
      });
      known = { version: version + 1, keys: JSON.stringify(keys), file: fileSignature(written) };
      return version + 1;
    },
  };
}

/** The plans with a ledger in `dir`. */
export const fileLedgerPlans = async (dir: string): Promise<string[]> =>
  (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
