import chalk from 'chalk';
import { KeyrotError } from '../errors.js';

/** An error on stderr: the message, then the hint naming the next step. A bug also gets its stack. */
export function printError(e: unknown): void {
  if (e instanceof KeyrotError) {
    process.stderr.write(`${chalk.red('error')} ${e.message}\n  ${chalk.dim('hint:')} ${e.hint}\n`);
    return;
  }
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`${chalk.red('internal error')} (a bug in keyrot: please report it)\n${stack}\n`);
}
