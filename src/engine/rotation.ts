// What keyrot remembers about one plan's rotation between runs. Key ids and fingerprints only:
// a secret never enters this record (invariant 3).

export const PHASE_NAMES = ['create', 'publish', 'verify', 'drain', 'last-used', 'deactivate', 'soak', 'delete'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** ready: gate not yet passed. acting: the side effect began and may not have finished. waiting: done, waiting on a timer. */
export type Stage = 'ready' | 'acting' | 'waiting';

export interface Hold {
  code: string;
  message: string;
  since: string;
  evidence: string[];
}

export interface RotationState {
  format: 1;
  plan: string;
  rotationId: string;
  startedAt: string;
  updatedAt: string;
  /** Incremented by every save; a save that does not match the stored version is refused. */
  version: number;
  phase: PhaseName | 'done';
  stage: Stage;
  /** The key being retired; null on a first rotation (the issuer had no key). */
  oldKeyId: string | null;
  /** Every key id the issuer listed just before create: anything else found later is ours. */
  keysBeforeCreate: string[] | null;
  newKeyId: string | null;
  newFingerprint: string | null;
  /** Indexes into plan.publish of the targets that hold the new credential. */
  published: number[];
  /** When read-back (and, with `verify`, authentication) of the new key last succeeded. */
  verifiedAt: string | null;
  authenticatedAt: string | null;
  /** Stored deadlines: waits survive Ctrl-C, crashes and reboots (invariant 9). */
  deadlines: Partial<Record<PhaseName, string>>;
  deactivatedAt: string | null;
  completedAt: string | null;
  hold: Hold | null;
}

export function newRotation(plan: string, now: Date, rotationId: string): RotationState {
  const at = now.toISOString();
  return {
    format: 1,
    plan,
    rotationId,
    startedAt: at,
    updatedAt: at,
    version: 0,
    phase: 'create',
    stage: 'ready',
    oldKeyId: null,
    keysBeforeCreate: null,
    newKeyId: null,
    newFingerprint: null,
    published: [],
    verifiedAt: null,
    authenticatedAt: null,
    deadlines: {},
    deactivatedAt: null,
    completedAt: null,
    hold: null,
  };
}

export const inFlight = (state: RotationState | undefined): boolean => state !== undefined && state.phase !== 'done';
