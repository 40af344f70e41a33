import { printableDeep } from '../../shared/printable.js';
import { describeEvent, LastWords, outcomeText, summaryTable } from './describe.js';
import type { Reporter, RunEvent } from '../../engine/events.js';
import type { PlanResult } from '../../engine/outcome.js';

/** One timestamped line per event: for cron, CI logs and pipes. */
export class PlainReporter implements Reporter {
  private words = new LastWords();

  event(raw: RunEvent): void {
    const e = printableDeep(raw); // a reason or a message may quote a server, a report or a plan
    this.words.hear(e);
    const { text, lines } = describeEvent(e);
    const stream = e.type === 'failed' || e.type === 'held' || e.type === 'warning' ? process.stderr : process.stdout;
    // One write per event (its lines with it): each write is a system call and a pass of the output filter.
    stream.write(`${new Date().toISOString()} ${e.plan} ${e.type}${'phase' in e && e.phase ? ` ${e.phase}` : ''}: ${text}\n${lines.map((line) => `    ${line}\n`).join('')}`);
  }

  result(r: PlanResult): void {
    this.words.take(r);
  }

  summary(results: PlanResult[]): void {
    const [only] = results;
    if (results.length === 1 && (only!.outcome.status === 'held' || only!.outcome.status === 'failed')) {
      // The hold itself went to stderr; its outcome goes to stdout too, so `| tee run.log` keeps it.
      process.stdout.write(`${new Date().toISOString()} ${only!.plan} outcome: ${outcomeText(only!.outcome)}: ${this.words.rows([only!])[0]}\n`);
      return;
    }
    if (results.length < 2) return;
    process.stdout.write(`\n${summaryTable(results, this.words).join('\n')}\n`);
  }

  close(): void {}
}
