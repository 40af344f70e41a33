// Messages about the command line and the plans, and the two every command may end with.
import type { PlanProblem } from '../shared/problem.js';
import { EXIT } from './exit.js';
import { s, spec, type Text } from './spec.js';

export const generalMessages = {
  'usage': spec<{ problem: Text }>(EXIT.usage,
    (d) => s(d.problem),
    () => 'see `keyrot --help`'),
  'plan-invalid': spec<{ count: number; files: number; problems: PlanProblem[] }>(EXIT.usage,
    (d) => `${s(d.count)} problem(s) in ${s(d.files)} plan file(s); nothing was touched`,
    () => 'fix each line above, then check again: `keyrot validate` with the same files'),
  'plan-not-found': spec<{ path: Text }>(EXIT.usage,
    (d) => `no plan at ${s(d.path)}`,
    () => 'pass plan files (.yaml/.yml) or folders that hold them'),
  'plan-name-unknown': spec<{ name: Text; folders: Text }>(EXIT.usage,
    (d) => `no plan named "${s(d.name)}" in ${s(d.folders)}`,
    () => 'pass the plan file itself, or run keyrot from the folder that holds it'),
  'plan-name-duplicate': spec<{ name: Text; first: Text; second: Text }>(EXIT.usage,
    (d) => `plan name "${s(d.name)}" is used by both ${s(d.first)} and ${s(d.second)}`,
    () => 'plan names share one state folder and must be unique: rename one of them'),
  'interrupted': spec(EXIT.interrupted,
    () => 'interrupted; state saved',
    () => 'run the same command again to continue where it stopped'),
  'internal': spec<{ reason: Text }>(EXIT.internal,
    (d) => `internal error: ${s(d.reason)}`,
    () => 'this is a bug in keyrot: please report it with this output and the audit log (`keyrot history --json`), as the README section "Reporting a problem" describes'),
};
