// A plan's extra CA bundle (tls.caFile, relative to the plan's folder), read where a provider is
// built. A file that is not there is the user's to fix, named with its path: never a stack trace
// (rotation-plans/orders-postgresql.yaml names one that a fresh clone does not have).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KeyrotError } from './errors.js';

/** The CA bundle at `caFile` (resolved against `planDir`); `setting` is where the plan or environment named it. */
export function readCaFile(planDir: string, caFile: string, provider: string, setting = 'tls.caFile'): Buffer {
  const file = path.resolve(planDir, caFile);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new KeyrotError('ca-file-unreadable', { provider, path: file, reason: (e as NodeJS.ErrnoException).code ?? 'unreadable', setting });
  }
}
