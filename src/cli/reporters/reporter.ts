import type { Reporter } from '../../engine/events.js';
import type { OutputFormat } from '../output.js';

/** The engine's reporter, as the CLI renders it: `close` stops spinners and timers. */
export type CliReporter = Reporter & { close(): void };

/** json for --output json; plain off a terminal, with --output plain, or for several plans at once (one line per event). */
export async function pickReporter(format: OutputFormat, opts: { many?: boolean } = {}): Promise<CliReporter> {
  if (format === 'json') return new (await import('./json.js')).JsonReporter();
  // A pseudo-terminal that reports no width cannot host a spinner: ora would clear lines forever.
  if (format === 'plain' || opts.many || !process.stdout.isTTY || !process.stdout.columns) return new (await import('./plain.js')).PlainReporter();
  return new (await import('./human.js')).HumanReporter();
}
