// The generated issuer's ledger on disk: `<state>/generated/<plan>.json`, written atomically (mode
// 0600) with a version that refuses a lost update. A ledger written before versions were recorded reads as version 0.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { KeyrotError } from '../errors.js';
import { ensureDir, stateIoError } from './io.js';
import type { LedgerEntry, PlanLedger } from './store.js';

export function fileLedger(dir: string, plan: string): PlanLedger {
  const file = path.join(dir, `${plan}.json`);
  const load = async () => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [] as LedgerEntry[], version: 0 };
      throw await stateIoError(e, file, { plan, verb: 'read' });
    }
    try {
      const value = JSON.parse(text) as { keys: LedgerEntry[]; version?: number };
      if (!Array.isArray(value.keys)) throw new Error('no "keys" list');
      return { keys: value.keys, version: typeof value.version === 'number' ? value.version : 0 };
    } catch (e) {
      throw new KeyrotError('state-corrupt', { path: file, plan, reason: `the key ledger is not readable (${(e as Error).message})` });
    }
  };
  return {
    where: path.relative(process.cwd(), file),
    load,
    async save(keys, version) {
      const found = (await load()).version;
      if (found !== version) throw new KeyrotError('state-conflict', { plan, expected: version, found });
      await ensureDir(dir);
      await writeFileAtomic(file, `${JSON.stringify({ keys, version: version + 1 }, null, 2)}\n`, { mode: 0o600, fsync: true }).catch(async (e: unknown) => {
        throw await stateIoError(e, file, { plan });
      });
      return version + 1;
    },
  };
}

/** The plans with a ledger in `dir`. */
export const fileLedgerPlans = async (dir: string): Promise<string[]> =>
  (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
