// What every engine operation is handed, with nothing defaulted: where state lives, the clock, and
// where its events go. Operations that advance a rotation take a session's options besides.
import type { StateBackend } from '../state/open.js';
import type { Clock } from './clock.js';
import type { Reporter } from './events.js';
import type { Providers } from './providers.js';
import type { Consent } from './runner.js';

export interface OperationOptions {
  /** Where state lives, chosen once per command (state/open.ts); its `spec` is what --state said, for hints. */
  states: StateBackend;
  clock: Clock;
  reporter: Reporter;
}

export interface SessionOptions extends OperationOptions {
  /** Block through waits (default) or return at the first one (--no-wait). */
  wait: boolean;
  /** Start a new rotation only when the active key is older than schedule.maxAge. */
  due: boolean;
  waitLockMs: number;
  /** The command line, as the lock holder shows it. */
  command: string;
  signal: AbortSignal;
  confirm(question: string): Promise<Consent>;
  /** Go on with a rotation that was rolled back. */
  resumeAfterRollback?: boolean;
  /** Move a state record that cannot be used (state-corrupt) aside instead of failing: keyrot abandon. */
  setAsideUnusableState?: boolean;
  /** Providers to use instead of those the plan names (tests drive the engine with fakes). */
  providers?: Providers;
}
