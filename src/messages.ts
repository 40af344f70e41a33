// Every message a user can see, keyed by code: what happened, and the next command to run (a hint
// that works when pasted). Written by area in src/messages/; details are typed per code, plain
// values (ids, paths, dates), never a secret.
import { databaseMessages } from './messages/database.js';
import { generalMessages } from './messages/general.js';
import { httpMessages } from './messages/http.js';
import { providerMessages } from './messages/providers.js';
import { revokeMessages } from './messages/revoke.js';
import { rotationMessages } from './messages/rotation.js';
import type { Common, MessageSpec } from './messages/spec.js';
import { stateMessages } from './messages/state.js';
import { storeMessages } from './messages/stores.js';

export { EXIT, type ExitCode } from './messages/exit.js';
export { commandArg, shellWord } from './messages/shell.js';

export const messages = {
  ...generalMessages,
  ...rotationMessages,
  ...revokeMessages,
  ...providerMessages,
  ...httpMessages,
  ...databaseMessages,
  ...stateMessages,
  ...storeMessages,
};

export type MessageCode = keyof typeof messages;

/** The details the message of `C` takes (and may be told: the plan file, the plan's name). */
export type DetailsOf<C extends MessageCode> = C extends MessageCode ? ((typeof messages)[C] extends MessageSpec<infer D> ? D : never) & Common : never;

/** A code with its details: what a gate's hold or an error carries until it is said. */
export type Said = { [C in MessageCode]: { code: C; details: DetailsOf<C> } }[MessageCode];

/** The words for a code and its details: message, hint and exit code. */
export function say<C extends MessageCode>(code: C, details: DetailsOf<C>): { message: string; hint: string; exit: MessageSpec<object>['exit'] } {
  // One cast for the table: each spec's functions take exactly its own code's details.
  const spec = messages[code] as unknown as MessageSpec<DetailsOf<C>>;
  return { message: spec.message(details), hint: spec.hint(details), exit: spec.exit };
}
