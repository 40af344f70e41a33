import { type DetailsOf, type MessageCode, say } from './messages.js';

/** With no details to give, the details argument may be left out. */
type DetailsArg<C extends MessageCode> = object extends DetailsOf<C> ? [details?: DetailsOf<C>] : [details: DetailsOf<C>];

/** A failure the user can act on: the code picks the message, hint and exit code. */
export class KeyrotError<C extends MessageCode = MessageCode> extends Error {
  readonly code: C;
  readonly details: DetailsOf<C>;

  constructor(code: C, ...[details]: DetailsArg<C>) {
    const given = (details ?? {}) as DetailsOf<C>;
    super(say(code, given).message);
    this.name = 'KeyrotError';
    this.code = code;
    this.details = given;
  }

  get exitCode() {
    return say(this.code, this.details).exit;
  }

  /**
   * Name the plan the error is about, so its hint carries a command that works when pasted; `rerun`,
   * the command that met it when that was not a run (`keyrot doctor payments.yaml`), for hints that
   * say to run it again once the cause is fixed.
   */
  about(planArg: string, rerun?: string): this {
    const details = this.details as { file?: string; rerun?: string };
    details.file ??= planArg;
    if (rerun) details.rerun ??= rerun;
    return this;
  }

  get hint(): string {
    return say(this.code, this.details).hint;
  }
}

/** `e` is a KeyrotError of `code`, with that code's details. */
export const isKeyrotError = <C extends MessageCode>(e: unknown, code: C): e is KeyrotError<C> => e instanceof KeyrotError && e.code === code;

/** A short reason from any thrown value, for wrapping in `provider-failed`. */
export function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
