// Starting and reading a rotation record (its types live in src/state/rotation-state.ts).

export * from '../state/rotation-state.js';
import type { RotationState } from '../state/rotation-state.js';

export function newRotation(plan: string, now: Date, rotationId: string): RotationState {
  const at = now.toISOString();
  return {
    format: 1,
    plan,
    rotationId,
    startedAt: at,
    updatedAt: at,
    version: 0,
    mode: 'rotate',
    phase: 'create',
    stage: 'ready',
    resumeAt: null,
    oldKeyId: null,
    keysBeforeCreate: null,
    newKeyId: null,
    newFingerprint: null,
    published: [],
    verifiedAt: null,
    authenticatedAt: null,
    deadlines: {},
    deactivatedAt: null,
    approvedBy: null,
    rolledBack: null,
    completedAt: null,
    abandoned: false,
    hold: null,
  };
}

export const inFlight = (state: RotationState | undefined): boolean => state !== undefined && state.phase !== 'done';
