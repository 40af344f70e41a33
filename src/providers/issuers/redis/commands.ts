// The Redis commands the redis issuer sends, in one place: what `keyrot plan` shows is what runs. A
// password never appears in an ACL command: it is added, removed and restored by its SHA-256.
import type { IssuerOp } from '../../types.js';

/** What keyrot's own ACL user must be allowed to run (doctor checks it; init and the README print it). */
export const REDIS_COMMANDS = ['acl|getuser', 'acl|setuser', 'acl|save', 'client|list', 'time'] as const;
/** What a revoke also runs, to end the leaked password's connections (doctor warns without it). */
export const REVOKE_COMMAND = 'client|kill';
/** The ACL rule that allows keyrot's user `commands`, as a command to paste into redis-cli. */
export const allowCommands = (user: string, commands: readonly string[]) => `ACL SETUSER ${user} ${commands.map((c) => `+${c}`).join(' ')}`;

export const getUser = (user: string) => ['ACL', 'GETUSER', user];
export const addHash = (user: string, hash: string) => ['ACL', 'SETUSER', user, `#${hash}`];
export const removeHash = (user: string, hash: string) => ['ACL', 'SETUSER', user, `!${hash}`];
export const SAVE = ['ACL', 'SAVE'];
export const CLIENTS = ['CLIENT', 'LIST', 'TYPE', 'normal'];

export function explainCommand(op: IssuerOp, user: string, where: string): string {
  switch (op) {
    case 'list': return `ACL GETUSER ${user} (its passwords' SHA-256), and keyrot's ledger of the passwords it removed`;
    case 'create': return `ACL SETUSER ${user} #<SHA-256 of the new password>; ACL SAVE (the password itself is never sent)`;
    case 'verify': return `AUTH ${user} <the new password, masked> on a new connection to ${where}`;
    case 'lastUsed': return `CLIENT LIST: connections as ${user} opened before the newer password was added (Redis does not say which password a connection used)`;
    case 'deactivate': return `ACL SETUSER ${user} !<SHA-256 of the old password>; ACL SAVE (connections already open stay authenticated: a rotation waits for them to go, a revoke ends those opened before the replacement)`;
    case 'reactivate': return `ACL SETUSER ${user} #<SHA-256 of the old password>; ACL SAVE`;
    case 'delete': return `ACL SETUSER ${user} !<SHA-256 of the old password> if it is there; keyrot forgets its hash`;
  }
}

export const killClient = (id: number) => ['CLIENT', 'KILL', 'ID', String(Math.trunc(id))];
/** What a revoke runs to end the leaked password's connections (sessions.ts says which ones). */
export const killExplained = (user: string) =>
  `CLIENT KILL ID <id> for each connection as ${user} opened before the replacement's password was added, all of them when there is none yet (revoke only: a connection opened while both passwords worked may be on the new one and is left open; needs +client|kill)`;
