import { systemClock } from '../../engine/clock.js';
import { exitCodeOf } from '../../engine/runner.js';
import { runSession } from '../../engine/session.js';
import { KeyrotError } from '../../errors.js';
import { parseDuration } from '../../plan/duration.js';
import { confirmer } from '../confirm.js';
import { loadPlans } from '../load-plans.js';
import { pickReporter, type PlanResult } from '../reporters/reporter.js';
import { interruptSignal } from '../signals.js';
import { worstExitCode } from '../worst.js';

export interface RunOptions {
  wait: boolean;
  due?: boolean;
  yes?: boolean;
  json?: boolean;
  plain?: boolean;
  waitLock?: string;
  state?: string;
}

export async function runCommand(args: string[], opts: RunOptions): Promise<number> {
  const waitLockMs = opts.waitLock === undefined ? 0 : parseDuration(opts.waitLock);
  if (waitLockMs === undefined) throw new KeyrotError('usage', { problem: `--wait-lock ${opts.waitLock} is not a duration (try 30s, 5m)` });
  const plans = await loadPlans(args, opts.state);

  const reporter = await pickReporter(opts);
  const interactive = !opts.json && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const interrupt = interruptSignal(() => undefined);
  const results: PlanResult[] = [];
  try {
    for (const loaded of plans) {
      if (interrupt.signal.aborted) break;
      const outcome = await runSession(loaded, {
        stateDir: opts.state,
        wait: opts.wait,
        due: Boolean(opts.due),
        waitLockMs,
        command: ['keyrot', 'run', ...args].join(' '),
        clock: systemClock,
        signal: interrupt.signal,
        emit: (e) => reporter.event(e),
        confirm: confirmer({ yes: opts.yes, interactive, pause: () => reporter.pause?.() }),
      }).catch((e: unknown) => {
        if (!(e instanceof KeyrotError)) throw e;
        reporter.event({ type: 'failed', plan: loaded.plan.name, code: e.code, message: e.message, hint: e.hint });
        return e.exitCode === 3 ? { status: 'held' as const, code: e.code } : { status: 'failed' as const, code: e.code, exitCode: e.exitCode };
      });
      if (outcome.status === 'interrupted') reporter.event({ type: 'interrupted', plan: loaded.plan.name });
      results.push({ plan: loaded.plan.name, outcome });
    }
    reporter.summary(results);
  } finally {
    reporter.close();
    interrupt.dispose();
  }
  return worstExitCode(results.map((r) => exitCodeOf(r.outcome)));
}
