import type { MessageCode } from '../messages.js';
import type { PhaseName } from './rotation.js';
import type { PlanResult } from './outcome.js';

/** Everything the engine tells the user goes through one of these; reporters render them. */
export type RunEvent =
  | { type: 'start'; plan: string; rotationId: string; resumed: boolean; phase: PhaseName }
  | { type: 'not-due'; plan: string; reason: string }
  | { type: 'phase'; plan: string; phase: PhaseName; summary: string }
  | { type: 'step'; plan: string; phase: PhaseName; action: string; detail: string }
  | { type: 'note'; plan: string; phase?: PhaseName; message: string }
  /** Something went wrong that does not stop the rotation (e.g. a notification failed). */
  | { type: 'warning'; plan: string; phase?: PhaseName; message: string }
  | { type: 'waiting'; plan: string; phase: PhaseName; until: string; reason: string }
  | { type: 'held'; plan: string; phase?: PhaseName; code: MessageCode; message: string; hint: string; evidence: string[] }
  | { type: 'failed'; plan: string; phase?: PhaseName; code: MessageCode; message: string; hint: string }
  | { type: 'interrupted'; plan: string; phase?: PhaseName }
  | {
      type: 'done';
      plan: string;
      rotationId: string;
      oldKeyId: string | null;
      newKeyId: string;
      fingerprint: string;
      startedAt: string;
      completedAt: string;
    };

export type Emit = (event: RunEvent) => void;

/**
 * Where an engine operation's events go: the CLI's human, plain or json reporter, or a test's list.
 * `summary` gets every plan's outcome once all are done; `pause` stops live output for a question
 * (other plans' lines are held), `resume` lets it go on once the question is answered.
 */
export interface Reporter {
  event(e: RunEvent): void;
  /** One result as soon as it is known, where a command has several for one plan (a revoke of two of its keys). */
  result?(r: PlanResult): void;
  summary(results: PlanResult[]): void;
  pause?(): void;
  resume?(): void;
}
