// What every command that advances a plan passes to the engine: clock, reporter, prompts, signals.
import { systemClock } from '../engine/clock.js';
import type { SessionOptions } from '../engine/session.js';
import { KeyrotError } from '../errors.js';
import { parseDuration } from '../shared/duration.js';
import { openState } from '../state/open.js';
import { confirmer } from './confirm.js';
import type { OutputFlags } from './output.js';
import type { Reporter } from './reporters/reporter.js';

export interface CommonRunFlags extends OutputFlags {
  yes?: boolean;
  waitLock?: string;
  state?: string;
}

export function sessionOptions(
  flags: CommonRunFlags,
  reporter: Reporter,
  signal: AbortSignal,
  extra: Pick<SessionOptions, 'wait' | 'due' | 'command'> & Partial<SessionOptions>,
): SessionOptions {
  const waitLockMs = flags.waitLock === undefined ? 0 : parseDuration(flags.waitLock);
  if (waitLockMs === undefined) throw new KeyrotError('usage', { problem: `--wait-lock ${flags.waitLock} is not a duration (try 30s, 5m)` });
  return {
    stateDir: flags.state,
    // Built once here; every engine operation of this command gets the same one.
    states: extra.states ?? openState(flags.state),
    waitLockMs,
    clock: systemClock,
    signal,
    emit: (e) => reporter.event(e),
    confirm: confirmer({ yes: flags.yes, signal, pause: () => reporter.pause?.() }),
    ...extra,
  };
}
