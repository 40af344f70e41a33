import type { RunEvent } from '../../engine/events.js';
import type { Outcome } from '../../engine/runner.js';
import type { OutputFormat } from '../output.js';

export interface PlanResult {
  plan: string;
  outcome: Outcome;
}

/** Renders engine events. The CLI picks one: human (TTY), plain (cron, logs) or json (NDJSON). */
export interface Reporter {
  event(e: RunEvent): void;
  summary(results: PlanResult[]): void;
  /** Stop spinners and timers. */
  close(): void;
  /** Pause live output while the user answers a prompt. */
  pause?(): void;
}


/** json for --output json; plain off a terminal, with --output plain, or for several plans at once (one line per event). */
export async function pickReporter(format: OutputFormat, opts: { many?: boolean } = {}): Promise<Reporter> {
  if (format === 'json') return new (await import('./json.js')).JsonReporter();
  // A pseudo-terminal that reports no width cannot host a spinner: ora would clear lines forever.
  if (format === 'plain' || opts.many || !process.stdout.isTTY || !process.stdout.columns) return new (await import('./plain.js')).PlainReporter();
  return new (await import('./human.js')).HumanReporter();
}
