import { createInterface } from 'node:readline/promises';
import { KeyrotError } from '../errors.js';

/**
 * Ask before a permanent step. Only an operator at a terminal is asked; --yes, or a run with no
 * terminal (cron), goes ahead: the soak and the last-use check already guard the delete.
 */
export function confirmer(opts: { yes?: boolean; interactive: boolean; pause?: () => void }) {
  return async (question: string): Promise<boolean> => {
    if (opts.yes || !opts.interactive) return true;
    opts.pause?.();
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${question} [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    } catch (e) {
      // Ctrl-C at the prompt (the terminal is in raw mode, so it arrives here, not as SIGINT).
      if ((e as NodeJS.ErrnoException).code === 'ABORT_ERR') {
        process.stderr.write('\n');
        throw new KeyrotError('interrupted');
      }
      throw e;
    } finally {
      rl.close();
    }
  };
}
