import chalk from 'chalk';
import { KeyrotError } from '../errors.js';
import { EXIT } from '../messages.js';
import { formatProblem, type PlanProblem } from '../shared/problem.js';
import { writeJson, type OutputFormat } from './output.js';

const REPORT = 'please report it with this output and the audit log (`keyrot history --json`), as the README section "Reporting a problem" describes';

/**
 * An error as the chosen output speaks it. Text: the message, then the hint naming the next step (a
 * bug also gets its stack). JSON: one `error` document on stdout (schema/error.schema.json).
 */
export function printError(e: unknown, format: OutputFormat = 'text'): void {
  const problems = e instanceof KeyrotError ? (e.details.problems as PlanProblem[] | undefined) : undefined;
  if (format === 'json') {
    const known = e instanceof KeyrotError;
    writeJson({
      type: 'error',
      code: known ? e.code : 'internal',
      message: known ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`,
      hint: known ? e.hint : `this is a bug in keyrot: ${REPORT}`,
      exitCode: known ? e.exitCode : EXIT.internal,
      ...(problems ? { problems } : {}),
    });
    return;
  }
  for (const p of problems ?? []) process.stderr.write(`${formatProblem(p)}\n`);
  if (e instanceof KeyrotError) {
    process.stderr.write(`${chalk.red('error')} ${e.message}\n  ${chalk.dim('hint:')} ${e.hint}\n`);
    return;
  }
  const stack = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`${chalk.red('internal error')} (a bug in keyrot: ${REPORT})\n${stack}\n`);
}
