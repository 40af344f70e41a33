import { createInterface } from 'node:readline/promises';
import type { Consent } from '../engine/runner.js';
import { KeyrotError } from '../errors.js';
import { openTerminal, type Terminal } from './terminal.js';

/** Someone can answer a question: stdin is a terminal (stdout may be piped to `tee`). */
export const canAsk = (): boolean => Boolean(process.stdin.isTTY);

export interface ConfirmOptions {
  yes?: boolean;
  signal: AbortSignal;
  pause?: () => void;
  /** The question is answered (or gone): output held by `pause` goes on. */
  resume?: () => void;
  /** stdin carries data (revoke --secret-stdin): ask on the terminal all the same, if there is one. */
  stdinTaken?: boolean;
  /** Where the question is asked: the controlling terminal (terminal.ts) unless another is given. */
  terminal?: () => Terminal | undefined;
}

/**
 * Ask before a step that cannot be taken back. The question is asked on the terminal (stdout may be
 * piped to `tee`), only a key pressed after it appeared answers it, and anything but y/yes is no
 * (Enter alone included). With --yes nobody is asked; with no terminal and no --yes the answer is
 * 'unattended' and the step holds, as `terraform apply` does without -auto-approve: a cron job never
 * changes a key nobody agreed to change.
 */
export function confirmer(opts: ConfirmOptions) {
  const askNow = async (question: string): Promise<Consent> => {
    if (opts.yes) return 'yes';
    if (!opts.stdinTaken && !canAsk()) return 'unattended';
    // A question that waited for another's answer is not asked once Ctrl-C has stopped the run.
    if (opts.signal.aborted) throw new KeyrotError('interrupted');
    const terminal = (opts.terminal ?? openTerminal)();
    if (!terminal) return 'unattended';
    try {
      opts.pause?.();
      // Typed during a countdown or before the question, a `y` (even without Enter) must not answer it.
      if (!terminal.discardTypedAhead()) return 'unattended';
      return await ask(terminal, question, opts.signal);
    } finally {
      terminal.close();
      opts.resume?.();
    }
  };
  // Plans run side by side (--concurrency), but one question at a time is on the terminal: two at
  // once shared the keys typed, and a `y` meant for the question on screen answered the other one.
  let previous: Promise<unknown> = Promise.resolve();
  return (question: string): Promise<Consent> => {
    const turn = previous.then(() => askNow(question));
    previous = turn.catch(() => undefined);
    return turn;
  };
}

async function ask(terminal: Terminal, question: string, interrupt: AbortSignal): Promise<Consent> {
  const rl = createInterface({ input: terminal.input, output: terminal.output });
  // At a terminal readline reads in raw mode, so Ctrl-C reaches it as a key, not as SIGINT.
  const asked = new AbortController();
  rl.on('SIGINT', () => asked.abort());
  const onInterrupt = () => asked.abort();
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, the listener is removed in `finally` either way
  interrupt.addEventListener('abort', onInterrupt, { once: true });
  try {
    // Ctrl-D (or a terminal that went away) closes the input: Node 20 leaves the question pending
    // forever then, so the close answers it, as no.
    const inputEnded = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    const answer = await Promise.race([rl.question(`${question} [y/N] `, { signal: asked.signal }), inputEnded]);
    return /^y(es)?$/i.test(answer.trim()) ? 'yes' : 'no';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ABORT_ERR' || asked.signal.aborted) {
      terminal.output.write('\n');
      throw new KeyrotError('interrupted');
    }
    throw e;
  } finally {
    interrupt.removeEventListener('abort', onInterrupt);
    rl.close();
  }
}
