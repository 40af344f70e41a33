// How one plan's run ended, and the exit code that tells a script so (README, "Exit codes").
import { KeyrotError } from '../errors.js';
import { EXIT, type ExitCode, type MessageCode } from '../messages.js';

export type Outcome =
  | { status: 'done' | 'not-due' | 'interrupted' }
  | { status: 'waiting'; until: Date }
  | { status: 'held'; code: MessageCode }
  | { status: 'failed'; code: MessageCode; exitCode: ExitCode };

/** One plan's outcome, as the summary shows it. */
export interface PlanResult {
  plan: string;
  outcome: Outcome;
}

export function exitCodeOf(outcome: Outcome): ExitCode {
  switch (outcome.status) {
    case 'done':
    case 'not-due':
      return EXIT.ok;
    case 'waiting':
      return EXIT.waiting;
    case 'held':
      return EXIT.refused;
    case 'interrupted':
      return EXIT.interrupted;
    case 'failed':
      return outcome.exitCode;
  }
}

/** A refusal holds the plan (exit 3); any other error a user can act on failed it with its own exit code. */
export const outcomeOfError = (e: KeyrotError): Outcome =>
  e.exitCode === EXIT.refused ? { status: 'held', code: e.code } : { status: 'failed', code: e.code, exitCode: e.exitCode };

// Many plans, one exit code: the worst outcome wins. Worst means what most needs a person:
// a bug, then a bad command line, then an interruption, a failed provider, a safety hold, a wait.
const SEVERITY: readonly ExitCode[] = [EXIT.ok, EXIT.waiting, EXIT.refused, EXIT.provider, EXIT.interrupted, EXIT.usage, EXIT.internal];

export function worstExitCode(codes: ExitCode[]): ExitCode {
  return codes.reduce<ExitCode>((worst, code) => (SEVERITY.indexOf(code) > SEVERITY.indexOf(worst) ? code : worst), EXIT.ok);
}

/** The exit code of a command over many plans: the worst of their outcomes. */
export const exitCodeOfAll = (results: PlanResult[]): ExitCode => worstExitCode(results.map((r) => exitCodeOf(r.outcome)));
