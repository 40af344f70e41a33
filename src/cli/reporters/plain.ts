import type { RunEvent } from '../../engine/events.js';
import { describeEvent } from './describe.js';
import { outcomeText, type PlanResult, type Reporter } from './reporter.js';

/** One timestamped line per event: for cron, CI logs and pipes. */
export class PlainReporter implements Reporter {
  event(e: RunEvent): void {
    const { text, lines } = describeEvent(e);
    const stream = e.type === 'failed' || e.type === 'held' ? process.stderr : process.stdout;
    stream.write(`${new Date().toISOString()} ${e.plan} ${e.type}${'phase' in e && e.phase ? ` ${e.phase}` : ''}: ${text}\n`);
    for (const line of lines) stream.write(`    ${line}\n`);
  }

  summary(results: PlanResult[]): void {
    if (results.length < 2) return;
    for (const r of results) process.stdout.write(`${new Date().toISOString()} ${r.plan} summary: ${outcomeText(r.outcome)}\n`);
  }

  close(): void {}
}
