// Drive the engine in-process over real files, with a fake clock and captured events.
import path from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import type { Outcome } from '../../src/engine/runner.js';
import { runSession, type Providers } from '../../src/engine/session.js';
import { loadPlan, type LoadedPlan } from '../../src/plan/load.js';
import type { FakeClock } from './fake-clock.js';

export async function load(file: string): Promise<LoadedPlan> {
  const result = await loadPlan(file);
  if (!result.ok) throw new Error(`plan did not load: ${JSON.stringify(result.problems)}`);
  return result.loaded;
}

export interface RunResult {
  outcome: Outcome;
  events: RunEvent[];
}

export async function run(
  loaded: LoadedPlan,
  clock: FakeClock,
  options: { wait?: boolean; due?: boolean; confirm?: boolean; signal?: AbortSignal; waitLockMs?: number; providers?: Providers } = {},
): Promise<RunResult> {
  const events: RunEvent[] = [];
  const outcome = await runSession(loaded, {
    wait: options.wait ?? true,
    due: options.due ?? false,
    waitLockMs: options.waitLockMs ?? 0,
    command: 'keyrot test',
    clock,
    signal: options.signal ?? new AbortController().signal,
    emit: (e) => events.push(e),
    confirm: async () => options.confirm ?? true,
    providers: options.providers,
  });
  return { outcome, events };
}

export const stateDirOf = (loaded: LoadedPlan) => path.join(loaded.dir, '.keyrot');

/** A plan as the loader would return it, without going through YAML (for fields only fakes use). */
export const planObject = (dir: string, plan: Record<string, unknown>): LoadedPlan =>
  ({ file: path.join(dir, 'plan.yaml'), dir, plan: { verify: true, drain: 900_000, soak: 604_800_000, rehearse: false, ...plan } }) as unknown as LoadedPlan;
