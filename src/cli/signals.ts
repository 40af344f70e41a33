// Ctrl-C (SIGINT) and SIGTERM: the first one stops the run at the next safe point (state is saved
// after every step); a second one exits at once, which is safe too: resume recovers a cut step.
import { EXIT } from '../messages.js';

export function interruptSignal(onFirst: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    onFirst();
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
