// For an operator at a terminal: a spinner per phase, a live countdown through waits,
// and a one-screen summary at the end.
import chalk from 'chalk';
import ora, { type Ora } from 'ora';
import { formatDuration } from '../../shared/duration.js';
import { printableDeep } from '../../shared/printable.js';
import { describeEvent, LastWords, summaryTable } from './describe.js';
import type { Reporter, RunEvent } from '../../engine/events.js';
import type { PlanResult } from '../../engine/outcome.js';

const pad = (phase: string | undefined) => chalk.bold((phase ?? '').padEnd(11));
/** 2026-01-31T12:00:00Z: ISO 8601 in UTC, to the second. */
const utcSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class HumanReporter implements Reporter {
  // ora would put stdin in raw mode to swallow keystrokes, and Ctrl-C would never become SIGINT.
  // ora colours its frame with its own chalk (not the bundled one NO_COLOR turned off): follow ours.
  private spinner: Ora = ora({ stream: process.stdout, discardStdin: false, color: chalk.level > 0 ? 'cyan' : false });
  private ticker: NodeJS.Timeout | undefined;
  private waitingFor: string | undefined;
  private words = new LastWords();

  private stopTicker() {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Print a line above the spinner, which keeps spinning. */
  private line(text: string) {
    const spinning = this.spinner.isSpinning;
    if (spinning) this.spinner.clear();
    process.stdout.write(`${text}\n`);
    if (spinning) this.spinner.render();
  }

  /** Stop whatever is spinning; a wait the run went past leaves a line saying so. */
  private settle(waitOver: boolean) {
    this.stopTicker();
    this.spinner.stop();
    if (this.waitingFor && waitOver) this.line(`      ${chalk.green('✔')} ${this.waitingFor} over`);
    this.waitingFor = undefined;
  }

  event(raw: RunEvent): void {
    const e = printableDeep(raw); // a reason or a message may quote a server, a report or a plan
    this.words.hear(e);
    const { text, lines } = describeEvent(e);
    switch (e.type) {
      case 'start':
        this.settle(true);
        this.line(`${chalk.cyan('keyrot')} ${chalk.bold(e.plan)}  ${chalk.dim(text)}`);
        return;
      case 'phase':
        this.settle(true);
        this.line(`  ${pad(e.phase)} ${chalk.dim(text)}`);
        this.spinner.start(chalk.dim('working'));
        return;
      case 'step':
        this.line(`      ${chalk.green('✔')} ${text}`);
        return;
      case 'note':
        this.line(`      ${chalk.dim(`· ${text}`)}`);
        return;
      case 'warning':
        this.line(`      ${chalk.yellow(`! ${text}`)}`);
        return;
      case 'waiting': {
        this.stopTicker();
        this.waitingFor = e.reason;
        const until = new Date(e.until).getTime();
        // Whole seconds, rounded up (never "973ms left"), and the deadline in UTC as every other line writes it.
        const render = () => {
          const left = Math.ceil(Math.max(0, until - Date.now()) / 1000) * 1000;
          this.spinner.text = `${e.reason}: ${chalk.yellow(formatDuration(left))} left ${chalk.dim(`(until ${utcSeconds(until)})`)}`;
        };
        render();
        if (!this.spinner.isSpinning) this.spinner.start();
        this.ticker = setInterval(render, 1_000);
        return;
      }
      case 'held':
      case 'failed':
        this.settle(false);
        process.stderr.write(`  ${pad(e.phase)} ${chalk.red(`✖ ${text}`)}\n`);
        for (const l of lines) process.stderr.write(`      ${chalk.dim(l)}\n`);
        return;
      case 'interrupted':
      case 'not-due':
        this.settle(false);
        this.line(`  ${chalk.yellow('!')} ${text}`);
        return;
      case 'done':
        this.settle(true);
        this.line(`  ${pad('done')} ${chalk.green('✔')} ${text}`);
        return;
    }
  }

  result(r: PlanResult): void {
    this.words.take(r);
  }

  summary(results: PlanResult[]): void {
    this.close();
    const waiting = results.find((r) => r.outcome.status === 'waiting');
    if (results.length > 1) {
      const [head, ...rest] = summaryTable(results, this.words);
      process.stdout.write(`\n${chalk.bold(head!)}\n${rest.join('\n')}\n`);
    }
    if (waiting) process.stdout.write(chalk.dim('\nwaiting on a timer: run the same command again after it (state is saved)\n'));
  }

  pause(): void {
    this.settle(false);
  }

  close(): void {
    this.settle(false);
  }
}
