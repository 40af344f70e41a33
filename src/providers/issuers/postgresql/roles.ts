// A PostgreSQL role as keyrot's keys (database/login-key.ts). keyrot records in the role's COMMENT
// when it set the password (the key's generation) and the password's fingerprint; a role whose
// password keyrot removed says so there. PostgreSQL keeps no password date of its own.
//   comment "keyrot: password set <time> (<fingerprint>)"  -> key <role>@<time>, active if LOGIN
//   LOGIN without that comment (a password set by hand)   -> key <role>@external, active, age unknown
//                                                            (deactivating it records it in the comment)
//   anything else (NOLOGIN, or "keyrot: password removed") -> no key: the next rotation's role
import type { KeyInfo } from '../../types.js';
import { keyIdOf } from '../database/login-key.js';

export interface RoleRow {
  rolname: string;
  rolcanlogin: boolean;
  rolsuper: boolean;
  rolcreaterole: boolean;
  comment: string | null;
}

export type RoleKey = KeyInfo & { login: string };

const SET = /^keyrot: password set (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z|external) \((sha256:[0-9a-f]{12}|fingerprint unknown)\)/;
/** The generation of a password keyrot did not set (found on a role that can log in): its age is unknown. */
export const EXTERNAL = 'external';

/** `generation`: the time keyrot set it, or EXTERNAL (recorded when keyrot first deactivates such a role). */
export const setComment = (generation: string, fingerprint?: string) =>
  `keyrot: password set ${generation} (${fingerprint ?? 'fingerprint unknown'}); rotated by keyrot, do not edit this comment`;
export const removedComment = (at: string) =>
  `keyrot: password removed ${at}; keyrot sets a new one when this role is next in turn`;

export function keyOfRole(row: RoleRow): RoleKey | undefined {
  const set = SET.exec(row.comment ?? '');
  const status = row.rolcanlogin ? 'active' : 'inactive';
  if (set) {
    const [, generation, print] = set as unknown as [string, string, string];
    const createdAt = generation === EXTERNAL ? new Date(0) : new Date(generation);
    return { id: keyIdOf(row.rolname, generation), login: row.rolname, status, createdAt, ...(print.startsWith('sha256:') ? { fingerprint: print } : {}) };
  }
  if (row.rolcanlogin) return { id: keyIdOf(row.rolname, EXTERNAL), login: row.rolname, status, createdAt: new Date(0) };
  return undefined;
}
