// What a command hands its engine operation: where state lives (built once from --state or
// KEYROT_STATE), the clock, the reporter; and for a command that advances a plan, prompts and signals.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../engine/clock.js';
import type { Reporter } from '../engine/events.js';
import type { OperationOptions, SessionOptions } from '../engine/options.js';
import { KeyrotError } from '../errors.js';
import { parseDuration } from '../shared/duration.js';
import { isVaultSpec, openState, type StoreDecorator } from '../state/open.js';
import { confirmer } from './confirm.js';
import type { OutputFlags } from './output.js';

export interface CommonRunFlags extends OutputFlags {
  yes?: boolean;
  waitLock?: string;
  state?: string;
}

/** What the entry point wires in: bin/keyrot.js nothing; the test entry point a store decorator (crash tests). */
export interface Wiring {
  decorateStore?: StoreDecorator;
}

/** Where state lives for --state (or KEYROT_STATE): the one place a command chooses a store. */
export const openStates = (spec: string | undefined, wiring: Wiring) => openState(spec, process.env, wiring.decorateStore);

/** For commands that render the document their operation returns: its events are not shown. */
const quiet: Reporter = { event: () => undefined, summary: () => undefined };

/**
 * For a command that only reads state (status, history): a state folder named that does not exist is
 * a mistyped path, not an empty history. `keyrot run` creates the folder instead.
 */
export function stateToRead(flags: { state?: string }, command: string): void {
  if (!flags.state || isVaultSpec(flags.state) || existsSync(flags.state)) return;
  throw new KeyrotError('state-folder-missing', { path: path.resolve(flags.state), command });
}

export function operationOptions(flags: { state?: string }, wiring: Wiring, reporter: Reporter = quiet): OperationOptions {
  return { states: openStates(flags.state, wiring), clock: systemClock, reporter };
}

export function sessionOptions(
  flags: CommonRunFlags,
  wiring: Wiring,
  reporter: Reporter,
  signal: AbortSignal,
  extra: Pick<SessionOptions, 'wait' | 'due' | 'command'> & Partial<SessionOptions>,
): SessionOptions {
  const waitLockMs = flags.waitLock === undefined ? 0 : parseDuration(flags.waitLock);
  if (waitLockMs === undefined) throw new KeyrotError('usage', { problem: `--wait-lock ${flags.waitLock} is not a duration (try 30s, 5m)` });
  return {
    // Built once here; every engine operation of this command gets the same one.
    ...operationOptions(flags, wiring, reporter),
    waitLockMs,
    signal,
    confirm: confirmer({ yes: flags.yes, signal, pause: () => reporter.pause?.(), resume: () => reporter.resume?.() }),
    ...extra,
  };
}
