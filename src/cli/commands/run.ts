// keyrot run: parse, let the engine advance every plan, exit with the worst outcome.
import { loadPlans } from '../../engine/load-plans.js';
import { runPlans } from '../../engine/operations/run.js';
import { exitCodeOfAll } from '../../engine/outcome.js';
import { KeyrotError } from '../../errors.js';
import { fitHeapToRun } from '../heap.js';
import { outputOf } from '../output.js';
import { pickReporter } from '../reporters/reporter.js';
import { sessionOptions, type CommonRunFlags, type Wiring } from '../session-options.js';
import { interruptSignal } from '../signals.js';
import { tierUpLater } from '../tier-up.js';

export interface RunOptions extends CommonRunFlags {
  wait: boolean;
  due?: boolean;
  concurrency?: string;
  resumeAfterRollback?: boolean;
  metricsFile?: string;
}

export async function runCommand(args: string[], opts: RunOptions, wiring: Wiring): Promise<number> {
  const concurrency = Number(opts.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new KeyrotError('usage', { problem: `--concurrency ${opts.concurrency} is not a whole number of at least 1` });
  const plans = await loadPlans(args, opts.state);
  fitHeapToRun(plans.length);
  tierUpLater(plans.length);

  const reporter = await pickReporter(outputOf(opts), { many: plans.length > 1 });
  const interrupt = interruptSignal(() => undefined);
  try {
    const options = sessionOptions(opts, wiring, reporter, interrupt.signal, {
      wait: opts.wait,
      due: Boolean(opts.due),
      command: ['keyrot', 'run', ...args].join(' '),
      resumeAfterRollback: opts.resumeAfterRollback,
    });
    return exitCodeOfAll(await runPlans(plans, { concurrency, metricsFile: opts.metricsFile }, options));
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
