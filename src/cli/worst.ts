// Many plans, one exit code: the worst outcome wins.
const SEVERITY = [0, 75, 3, 4, 130, 2, 1];

export function worstExitCode(codes: number[]): number {
  return codes.reduce((worst, code) => (SEVERITY.indexOf(code) > SEVERITY.indexOf(worst) ? code : worst), 0);
}
