// keyrot revoke: parse which leak this is about, let the engine revoke it, exit with the worst outcome.
import { readStdin } from '../../bounded-read.js';
import { MAX_SECRET_BYTES } from '../../engine/leak-report.js';
import { loadPlans } from '../../engine/load-plans.js';
import { revokeKeys } from '../../engine/operations/revoke.js';
import { exitCodeOf, exitCodeOfAll } from '../../engine/outcome.js';
import type { LeakSource } from '../../engine/revoke-targets.js';
import { KeyrotError } from '../../errors.js';
import { shellWord } from '../../messages.js';
import { confirmer } from '../confirm.js';
import { typedCommand } from '../invocation.js';
import { outputOf } from '../output.js';
import { pickReporter } from '../reporters/reporter.js';
import { sessionOptions, type CommonRunFlags, type Wiring } from '../session-options.js';
import { interruptSignal } from '../signals.js';

export interface RevokeOptions extends CommonRunFlags {
  key?: string;
  fromReport?: string;
  secretStdin?: boolean;
  delete?: boolean;
}

/** The one source of the leak the flags name; the secret on stdin is read here, bounded, and Ctrl-C ends the wait. */
async function leakSource(opts: RevokeOptions, signal: AbortSignal): Promise<LeakSource> {
  if (opts.fromReport) return { reportFile: opts.fromReport };
  if (opts.secretStdin) {
    return { secret: await readStdin(MAX_SECRET_BYTES, signal).catch((e: unknown) => {
      throw signal.aborted ? new KeyrotError('interrupted') : e;
    }) };
  }
  if (opts.key) return { key: opts.key };
  return { current: true };
}

/** This command as typed, with --yes added: pasted, it goes ahead without asking. */
function withYes(opts: RevokeOptions): { command: string; piped: boolean } {
  const typed = process.argv.slice(2);
  const at = typed.indexOf('revoke');
  const words = [...typed.slice(0, at + 1), '--yes', ...typed.slice(at + 1)];
  return { command: ['keyrot', ...words.map(shellWord)].join(' '), piped: Boolean(opts.secretStdin) };
}

export async function revokeCommand(args: string[], opts: RevokeOptions, wiring: Wiring): Promise<number> {
  const sources = [opts.key, opts.fromReport, opts.secretStdin].filter(Boolean).length;
  if (sources > 1) throw new KeyrotError('usage', { problem: 'give only one of --key, --from-report and --secret-stdin' });
  if (opts.delete && !opts.key) throw new KeyrotError('usage', { problem: '--delete needs --key: it finishes the revoke of one key' });
  if (opts.secretStdin && process.stdin.isTTY) throw new KeyrotError('usage', { problem: '--secret-stdin reads the secret from a pipe: `pbpaste | keyrot revoke --secret-stdin <plans>` (typing it would echo it)' });
  const plans = await loadPlans(args, opts.state);
  const reporter = await pickReporter(outputOf(opts));
  const interrupt = interruptSignal(() => undefined);
  try {
    const options = sessionOptions(opts, wiring, reporter, interrupt.signal, {
      wait: false, due: false, command: typedCommand(),
      // The secret came on stdin: the question goes to the terminal (/dev/tty), if there is one.
      confirm: confirmer({ yes: opts.yes, signal: interrupt.signal, pause: () => reporter.pause?.(), resume: () => reporter.resume?.(), stdinTaken: opts.secretStdin }),
    });
    const request = { source: await leakSource(opts, interrupt.signal), delete: Boolean(opts.delete), withYes: withYes(opts) };
    const results = await revokeKeys(plans, request, options);
    return interrupt.signal.aborted ? exitCodeOf({ status: 'interrupted' }) : exitCodeOfAll(results);
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
