// Read a plan file and hand back the validated plan, or every problem in it with its line and
// column. The plan cache (cache.ts) answers for a text it has seen validated by this very build;
// anything else is parsed and validated (parse.ts, loaded only then: yaml and zod).
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readBounded } from '../bounded-read.js';
import { rememberVariables, variablesNamedIn } from '../secrets/redact.js';
import type { PlanProblem } from '../shared/problem.js';
import type { PlanCache } from './cache.js';
import type { Plan } from './schema.js';

export interface LoadedPlan {
  file: string;
  dir: string;
  plan: Plan;
}

export type PlanLoad = { ok: true; loaded: LoadedPlan } | { ok: false; problems: PlanProblem[] };

/** A plan is a page of YAML; anything near this size is a mistake or an attack (README, "Plans"). */
export const MAX_PLAN_BYTES = 1024 * 1024;

/** The plan's text, or why it cannot be read (as a problem at 1:1). */
function readPlan(file: string, given: string | undefined): string | PlanProblem {
  const problem = (message: string, hint?: string): PlanProblem => ({ file, line: 1, col: 1, field: '(file)', message, hint });
  if (given !== undefined) return Buffer.byteLength(given) > MAX_PLAN_BYTES ? problem(`larger than ${MAX_PLAN_BYTES / 1024 / 1024} MB, the most a plan may be`) : given;
  try {
    const read = readBounded(file, MAX_PLAN_BYTES);
    if (read === 'not-a-file') return problem('not a regular file (a folder, a device or a pipe?)', 'pass plan files (.yaml/.yml) or folders that hold them');
    if (read === 'too-large') return problem(`larger than ${MAX_PLAN_BYTES / 1024 / 1024} MB, the most a plan may be`, 'a plan is a page of YAML: is this the right file?');
    return read;
  } catch (e) {
    return problem(`cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** The last folder resolved, kept: the plans of one folder are loaded one after another (10,000 of them). */
let lastFolder: { named: string; cwd: string; resolved: string } | undefined;

/** The absolute folder of `file`. */
function folderOf(file: string): string {
  const named = path.dirname(file);
  const cwd = process.cwd();
  if (lastFolder?.named !== named || lastFolder.cwd !== cwd) lastFolder = { named, cwd, resolved: path.resolve(named) };
  return lastFolder.resolved;
}

/** `given`: the plan's text when it did not come from a file (`keyrot validate -` reads stdin). */
export async function loadPlan(file: string, given?: string, cache?: PlanCache): Promise<PlanLoad> {
  const text = readPlan(file, given);
  if (typeof text !== 'string') return { ok: false, problems: [text] };
  const hash = createHash('sha256').update(text).digest('base64url');
  let plan = given === undefined ? cache?.get(file, hash) : undefined;
  if (!plan) {
    const parsed = (await import('./parse.js')).parsePlan(file, text);
    if (!parsed.ok) return parsed;
    plan = parsed.plan;
    if (given === undefined) cache?.put(file, hash, plan);
  }
  // The credentials the plan names by variable (secretIdEnv, signingKeyEnv, …) are masked like the well-known ones.
  rememberVariables(process.env, variablesNamedIn(plan));
  return { ok: true, loaded: { file, dir: folderOf(file), plan } };
}
