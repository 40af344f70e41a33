import { printableDeep } from '../../shared/printable.js';
import { describeEvent, LastWords, outcomeText, summaryTable } from './describe.js';
import type { Reporter, RunEvent } from '../../engine/events.js';
import type { PlanResult } from '../../engine/outcome.js';

/** One timestamped line per event: for cron, CI logs and pipes. */
export class PlainReporter implements Reporter {
  private words = new LastWords();
  /** Lines kept back while a question waits on the terminal: printed there, they pushed it up the screen. */
  private held: Array<[NodeJS.WriteStream, string]> | undefined;

  event(raw: RunEvent): void {
    const e = printableDeep(raw); // a reason or a message may quote a server, a report or a plan
    this.words.hear(e);
    const { text, lines } = describeEvent(e);
    const stream = e.type === 'failed' || e.type === 'held' || e.type === 'warning' ? process.stderr : process.stdout;
    // One write per event (its lines with it): each write is a system call and a pass of the output filter.
    const written = `${new Date().toISOString()} ${e.plan} ${e.type}${'phase' in e && e.phase ? ` ${e.phase}` : ''}: ${text}\n${lines.map((line) => `    ${line}\n`).join('')}`;
    if (this.held) this.held.push([stream, written]);
    else stream.write(written);
  }

  /** A question is on the terminal (plans run side by side): their lines wait until it is answered. */
  pause(): void {
    this.held ??= [];
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [stream, written] of held) stream.write(written);
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

  close(): void {
    this.resume();
  }
}
