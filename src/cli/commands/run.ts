import pLimit from 'p-limit';
import { exitCodeOf, type Outcome } from '../../engine/runner.js';
import { runSession } from '../../engine/session.js';
import { KeyrotError } from '../../errors.js';
import { commandArg } from '../../messages.js';
import type { LoadedPlan } from '../../plan/load.js';
import { loadPlans } from '../load-plans.js';
import { outputOf } from '../output.js';
import { pickReporter, type PlanResult, type Reporter } from '../reporters/reporter.js';
import { sessionOptions, type CommonRunFlags } from '../session-options.js';
import { interruptSignal } from '../signals.js';
import { worstExitCode } from '../worst.js';

export interface RunOptions extends CommonRunFlags {
  wait: boolean;
  due?: boolean;
  concurrency?: string;
  resumeAfterRollback?: boolean;
  metricsFile?: string;
}

/** A failure before the rotation could start (lock held, provider set-up): reported, then an outcome. */
export const reportedFailure = (reporter: Reporter, loaded: LoadedPlan, stateDir?: string) => (e: unknown): Outcome => {
  if (!(e instanceof KeyrotError)) throw e;
  e.about(commandArg(loaded.file, stateDir));
  reporter.event({ type: 'failed', plan: loaded.plan.name, code: e.code, message: e.message, hint: e.hint });
  return e.exitCode === 3 ? { status: 'held', code: e.code } : { status: 'failed', code: e.code, exitCode: e.exitCode };
};

export async function runCommand(args: string[], opts: RunOptions): Promise<number> {
  const concurrency = Number(opts.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new KeyrotError('usage', { problem: `--concurrency ${opts.concurrency} is not a whole number of at least 1` });
  const plans = await loadPlans(args, opts.state);

  const reporter = await pickReporter(outputOf(opts), { many: plans.length > 1 });
  const interrupt = interruptSignal(() => undefined);
  const options = sessionOptions(opts, reporter, interrupt.signal, {
    wait: opts.wait,
    due: Boolean(opts.due),
    command: ['keyrot', 'run', ...args].join(' '),
    resumeAfterRollback: opts.resumeAfterRollback,
  });
  const limit = pLimit(concurrency);
  try {
    const results: PlanResult[] = await Promise.all(
      plans.map((loaded) =>
        limit(async (): Promise<PlanResult> => {
          const plan = loaded.plan.name;
          if (interrupt.signal.aborted) return { plan, outcome: { status: 'interrupted' } };
          const outcome = await runSession(loaded, options).catch(reportedFailure(reporter, loaded, opts.state));
          if (outcome.status === 'interrupted') reporter.event({ type: 'interrupted', plan });
          return { plan, outcome };
        }),
      ),
    );
    reporter.summary(results);
    if (opts.metricsFile) await (await import('../run-metrics.js')).writeRunMetrics(opts.metricsFile, plans, results, opts.state);
    return worstExitCode(results.map((r) => exitCodeOf(r.outcome)));
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
