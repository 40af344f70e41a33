import { type Details, type MessageCode, messages } from './messages.js';

/** A failure the user can act on: the code picks the message, hint and exit code. */
export class KeyrotError extends Error {
  readonly code: MessageCode;
  readonly details: Details;

  constructor(code: MessageCode, details: Details = {}) {
    super(messages[code].message(details));
    this.name = 'KeyrotError';
    this.code = code;
    this.details = details;
  }

  get exitCode(): number {
    return messages[this.code].exit;
  }

  /** Name the plan the error is about, so its hint carries a command that works when pasted. */
  about(planArg: string): this {
    this.details.file ??= planArg;
    return this;
  }

  get hint(): string {
    return messages[this.code].hint(this.details);
  }
}

/** A short reason from any thrown value, for wrapping in `provider-failed`. */
export function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
