// What keyrot remembers about one plan's rotation between runs. Key ids and fingerprints only:
// a secret never enters this record (invariant 3). The engine writes it; every state store keeps it.
import type { MessageCode } from '../messages.js';

export const PHASE_NAMES = ['revoke', 'create', 'publish', 'verify', 'drain', 'last-used', 'deactivate', 'soak', 'delete'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** rotate: the planned, zero-downtime rotation. revoke: a leaked key, deactivated first (keyrot revoke). */
export type Mode = 'rotate' | 'revoke';

/** ready: gate not yet passed. acting: the side effect began and may not have finished. waiting: done, waiting on a timer. */
export type Stage = 'ready' | 'acting' | 'waiting';

export interface Hold {
  code: MessageCode;
  message: string;
  since: string;
  evidence: string[];
}

/** A leaked key revoked inside a rotation it is not part of (neither its old nor its new key). */
export interface AlsoRevoked {
  keyId: string;
  /** When the issuer stopped it (deactivated, or deleted where it cannot deactivate); null until then. */
  revokedAt: string | null;
  /** Every step of its revoke done; false: begun and cut short, so the next run finishes it first. */
  finished: boolean;
  /** When keyrot deleted it (a rotation's delete, or at once where the issuer cannot deactivate);
   *  null or absent while it is still to delete. Absent in older records. */
  deletedAt?: string | null;
}

export interface RotationState {
  format: 1;
  plan: string;
  rotationId: string;
  startedAt: string;
  updatedAt: string;
  /** Incremented by every save; a save that does not match the stored version is refused. */
  version: number;
  mode: Mode;
  phase: PhaseName | 'done';
  stage: Stage;
  /** With `revoke` taking over a rotation in flight: where to go on afterwards. */
  resumeAt: { phase: PhaseName; stage: Stage } | null;
  /** The key being retired; null on a first rotation (the issuer had no key). */
  oldKeyId: string | null;
  /** Every key id the issuer listed just before create: anything else found later is ours. */
  keysBeforeCreate: string[] | null;
  newKeyId: string | null;
  newFingerprint: string | null;
  /** Targets that hold the new credential, by identity (type + hash of their plan entry), so an
   *  edited plan cannot pass for one whose targets all received the key. */
  published: string[];
  /** When read-back (and, with `verify`, authentication) of the new key last succeeded. */
  verifiedAt: string | null;
  authenticatedAt: string | null;
  /** Stored deadlines: waits survive Ctrl-C, crashes and reboots (invariant 9). */
  deadlines: Partial<Record<PhaseName, string>>;
  deactivatedAt: string | null;
  /** Other leaked keys of the plan that a revoke deactivated inside this rotation (engine/revoke-also.ts);
   *  The delete phase deletes them with the old key (a first rotation has a soak and a delete for them);
   *  a rotation abandoned, or finished before its delete, hands the ones not deleted to the next rotation
   *  of the plan (revoke-also.ts: leftToDelete). Absent in older records. */
  alsoRevoked?: AlsoRevoked[];
  /** The new key a plain `keyrot abandon` left active beside the old one (the plan's last rotation, and
   *  any held after it that created no key): `keyrot abandon --retire-new` retires it while this rotation
   *  has created no key of its own, and the key-limit hold names that command. Absent in older records. */
  abandonedNewKey?: { keyId: string; rotationId: string };
  /** The session gate (engine/sessions.ts): from when the old key counts as quiet, i.e. the last time
   *  a session was seen using it, else the first time the gate looked. Absent in older records. */
  quietSince?: string | null;
  /** Permission for the permanent delete, where the plan or a revoke requires it (keyrot approve). */
  approvedBy: string | null;
  /** Set by a rollback (by hand or after a failed health check): held until resumed or abandoned. */
  rolledBack: { at: string; reason: string } | null;
  completedAt: string | null;
  abandoned: boolean;
  hold: Hold | null;
}
