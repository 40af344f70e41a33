import { EXIT } from '../messages.js';

// Many plans, one exit code: the worst outcome wins. Worst means what most needs a person:
// a bug, then a bad command line, then an interruption, a failed provider, a safety hold, a wait.
const SEVERITY: readonly number[] = [EXIT.ok, EXIT.waiting, EXIT.refused, EXIT.provider, EXIT.interrupted, EXIT.usage, EXIT.internal];

export function worstExitCode(codes: number[]): number {
  return codes.reduce((worst, code) => (SEVERITY.indexOf(code) > SEVERITY.indexOf(worst) ? code : worst), EXIT.ok);
}
