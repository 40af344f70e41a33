import path from 'node:path';

/** Where a plan's state lives: `--state DIR`, or `.keyrot/` beside the plan file. */
export const stateDirOf = (plan: { dir: string }, stateDir?: string): string => path.resolve(stateDir ?? path.join(plan.dir, '.keyrot'));
