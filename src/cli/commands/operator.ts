// keyrot rollback | approve | abandon: parse, let the engine decide, render what it did.
import chalk from 'chalk';
import { loadPlans } from '../../engine/load-plans.js';
import { decide, type Decision, type DecisionRequest } from '../../engine/operations/decide.js';
import { KeyrotError } from '../../errors.js';
import { EXIT } from '../../messages.js';
import { printableDeep } from '../../shared/printable.js';
import { outputOf, writeJson } from '../output.js';
import { pickReporter, type CliReporter } from '../reporters/reporter.js';
import { sessionOptions, type CommonRunFlags, type Wiring } from '../session-options.js';
import { interruptSignal } from '../signals.js';

export async function operatorCommand(decision: Decision, args: string[], opts: CommonRunFlags & { retireNew?: boolean }, wiring: Wiring): Promise<number> {
  if (opts.retireNew && decision !== 'abandon') throw new KeyrotError('usage', { problem: `--retire-new is an option of keyrot abandon, not of keyrot ${decision}` });
  const request: DecisionRequest = decision === 'abandon' ? { decision, retireNew: opts.retireNew === true } : { decision };
  const plans = await loadPlans(args, opts.state);
  if (plans.length !== 1) throw new KeyrotError('usage', { problem: `keyrot ${decision} takes exactly one plan` });
  const loaded = plans[0]!;
  const format = outputOf(opts);
  // JSON output is the one decision document below; the steps taken are in the audit log.
  const reporter: CliReporter = format === 'json' ? { event: () => undefined, summary: () => undefined, close: () => undefined } : await pickReporter('plain');
  const interrupt = interruptSignal(() => undefined);
  try {
    const options = sessionOptions(opts, wiring, reporter, interrupt.signal, { wait: false, due: false, command: `keyrot ${decision} ${args.join(' ')}` });
    const result = await decide(loaded, request, options);
    if (format === 'json') {
      writeJson({ type: 'decision', file: loaded.file, ...result });
    } else {
      const shown = printableDeep(result);
      process.stdout.write(`${chalk.green('✔')} ${shown.plan}: ${shown.outcome}${shown.next ? `.\nNext: \`${shown.next}\`` : ''}\n`);
    }
    return EXIT.ok;
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
