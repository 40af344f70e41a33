// Ctrl-C (SIGINT) and SIGTERM: the first one stops the run at the next safe point (state is saved
// after every step). A run still busy a second later (a slow provider call) exits anyway, as does a
// second signal: that is safe too, because state was saved before the step began and the next run
// finishes or cleans up a step that was cut short (invariants 5 and 6).
import { EXIT } from '../messages.js';

/** How long a run may take to reach its next safe point after Ctrl-C before it exits regardless:
 *  keyrot ends within a second of a signal, whatever it waits on. */
export const INTERRUPT_GRACE_MS = 750;

function exitNow(): never {
  process.stderr.write('\ninterrupted during a step; state was saved before it, and the next run finishes it\n');
  process.exit(EXIT.interrupted);
}

export function interruptSignal(onFirst: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  const handler = () => {
    if (controller.signal.aborted) exitNow();
    onFirst();
    controller.abort();
    grace = setTimeout(exitNow, INTERRUPT_GRACE_MS);
    grace.unref(); // a run that stops in time exits on its own, with its own summary
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(grace);
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
