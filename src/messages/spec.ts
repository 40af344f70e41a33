// How one message is written: its exit code, what happened, and the next command to run, each a
// function of the details its code takes (typed per code: a caller cannot leave one out or misname it).
import type { ExitCode } from './exit.js';

/** A detail as messages print it: ids, paths, dates, counts; never a secret. */
export type Text = string | number | null;

/**
 * What any message may be told besides its own details: the plan as a command-line argument that
 * works when pasted (`file`, set by whoever knows which plan file and state folder, see commandArg),
 * else the plan's name, which commands resolve among the plans here and in rotation-plans/.
 */
export interface Common {
  file?: string;
  plan?: Text;
  /** The command that met the error, when it was not a run (`keyrot doctor payments.yaml`): the hint
   *  then says to run that again, and nothing about state, which such a command never writes. */
  rerun?: Text;
}

export interface MessageSpec<D extends object> {
  exit: ExitCode;
  message(d: D & Common): string;
  hint(d: D & Common): string;
}

/** A message whose code takes the details `D`. */
export const spec = <D extends object = object>(exit: ExitCode, message: (d: D & Common) => string, hint: (d: D & Common) => string): MessageSpec<D> => ({ exit, message, hint });

export const s = (v: unknown) => String(v ?? '');

/** The plan as the hint's command names it (a plan's name resolves among the plans here and in rotation-plans/). */
export const planArg = (d: Common) => s(d.file ?? d.plan ?? 'rotation-plans/');

/** "re-run `keyrot run payments.yaml`", or the command that met the error: `keyrot doctor payments.yaml`. */
export const rerun = (d: Common) => (d.rerun ? `run \`${s(d.rerun)}\` again` : `re-run \`keyrot run ${planArg(d)}\``);

/** "state was saved; " after a run, nothing after a command that writes no state (doctor, plan, status). */
export const stateSaved = (d: Common) => (d.rerun ? '' : 'state was saved; ');
