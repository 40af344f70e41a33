// One thing wrong in a plan file, where it is and how to fix it. Kept apart from the loader (which
// pulls in yaml and zod) so that printing an error costs nothing at start-up.

export interface PlanProblem {
  file: string;
  line: number;
  col: number;
  field: string;
  message: string;
  hint?: string;
}

export const formatProblem = (p: PlanProblem): string =>
  `${p.file}:${p.line}:${p.col}  ${p.field}  ${p.message}${p.hint ? `  (${p.hint})` : ''}`;
