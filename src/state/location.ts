import path from 'node:path';

/** The last answer, kept: a folder of 10,000 plans asks it of the same folder several times a plan. */
let last: { dir: string; stateDir: string | undefined; cwd: string; resolved: string } | undefined;

/** Where a plan's state lives: `--state DIR`, or `.keyrot/` beside the plan file. */
export const stateDirOf = (plan: { dir: string }, stateDir?: string): string => {
  const cwd = process.cwd();
  if (last?.dir !== plan.dir || last.stateDir !== stateDir || last.cwd !== cwd) {
    last = { dir: plan.dir, stateDir, cwd, resolved: path.resolve(stateDir ?? path.join(plan.dir, '.keyrot')) };
  }
  return last.resolved;
};
