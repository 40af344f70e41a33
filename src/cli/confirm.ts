import { createInterface } from 'node:readline/promises';
import type { Consent } from '../engine/runner.js';
import { KeyrotError } from '../errors.js';

/** Someone can answer a question: stdin is a terminal (stdout may be piped to `tee`). */
export const canAsk = (): boolean => Boolean(process.stdin.isTTY);

/**
 * Ask before a permanent step. The question goes to stderr and the answer comes from stdin, so
 * `keyrot run plan.yaml | tee log` still asks. With --yes nobody is asked; with no terminal and no
 * --yes the answer is 'unattended' and the step holds, as `terraform apply` does without
 * -auto-approve: a cron job never deletes a key nobody agreed to delete.
 */
export function confirmer(opts: { yes?: boolean; signal: AbortSignal; pause?: () => void }) {
  return async (question: string): Promise<Consent> => {
    if (opts.yes) return 'yes';
    if (!canAsk()) return 'unattended';
    opts.pause?.();
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    // At a terminal readline reads in raw mode, so Ctrl-C reaches it as a key, not as SIGINT.
    const asked = new AbortController();
    rl.on('SIGINT', () => asked.abort());
    const onInterrupt = () => asked.abort();
    opts.signal.addEventListener('abort', onInterrupt, { once: true });
    try {
      const answer = await rl.question(`${question} [y/N] `, { signal: asked.signal });
      return /^y(es)?$/i.test(answer.trim()) ? 'yes' : 'no';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ABORT_ERR' || asked.signal.aborted) {
        process.stderr.write('\n');
        throw new KeyrotError('interrupted');
      }
      throw e;
    } finally {
      opts.signal.removeEventListener('abort', onInterrupt);
      rl.close();
    }
  };
}
