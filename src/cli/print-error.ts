import chalk from 'chalk';
import { isKeyrotError, KeyrotError } from '../errors.js';
import { printableDeep } from '../shared/printable.js';
import { formatProblem } from '../shared/problem.js';
import { writeJson, type OutputFormat } from './output.js';

/** A bug: the error as the message table's `internal` code says it. */
const bugOf = (e: unknown): KeyrotError => (e instanceof KeyrotError ? e : new KeyrotError('internal', { reason: e instanceof Error ? e.message : String(e) }));

/**
 * An error as the chosen output speaks it. Text: the message, then the hint naming the next step (a
 * bug also gets its stack). JSON: one `error` document on stdout (schema/error.schema.json).
 */
export function printError(e: unknown, format: OutputFormat = 'text'): void {
  const problems = isKeyrotError(e, 'plan-invalid') ? e.details.problems : undefined;
  if (format === 'json') {
    const error = bugOf(e);
    writeJson({ type: 'error', code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode, ...(problems ? { problems } : {}) });
    return;
  }
  // Text: a message may quote a server, a report or a plan; each of its fields is made printable.
  for (const p of problems ?? []) process.stderr.write(`${formatProblem(printableDeep(p))}\n`);
  if (e instanceof KeyrotError) {
    process.stderr.write(`${chalk.red('error')} ${printableDeep(e.message)}\n  ${chalk.dim('hint:')} ${printableDeep(e.hint)}\n`);
    return;
  }
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`${chalk.red('internal error')} (${bugOf(e).hint})\n${stack.split('\n').map((l) => printableDeep(l)).join('\n')}\n`);
}
