// What a notification says: plan, outcome, phase and key ids. The payload is built field by field
// from a Notice, so nothing else a caller holds (least of all a secret) can reach a hook.
import type { PhaseName } from '../state/rotation-state.js';
import { redact } from '../secrets/redact.js';

/** The moments a plan can be notified about; `on:` in a notify entry picks among them. */
export const NOTIFY_OUTCOMES = [
  'published', // the new key is in every store
  'reload', // the overlap window started: consumers should reload now
  'deactivated',
  'deleted',
  'done',
  'held',
  'failed',
  'revoked',
  'rolled-back',
] as const;
export type NotifyOutcome = (typeof NOTIFY_OUTCOMES)[number];

export interface Notice {
  plan: string;
  rotationId: string;
  outcome: NotifyOutcome;
  phase: PhaseName | 'done';
  oldKeyId: string | null;
  newKeyId: string | null;
  fingerprint?: string | null;
  /** Why (held, failed) or what happened, in words; redacted before it leaves. */
  message?: string;
}

/** Exactly what a webhook body and a command's environment carry. */
export interface Payload {
  plan: string;
  rotationId: string;
  outcome: NotifyOutcome;
  phase: string;
  oldKeyId: string | null;
  newKeyId: string | null;
  fingerprint?: string;
  message?: string;
  time: string;
}

export function payloadOf(n: Notice, time: Date): Payload {
  return {
    plan: n.plan,
    rotationId: n.rotationId,
    outcome: n.outcome,
    phase: n.phase,
    oldKeyId: n.oldKeyId ?? null,
    newKeyId: n.newKeyId ?? null,
    ...(n.fingerprint ? { fingerprint: n.fingerprint } : {}),
    ...(n.message ? { message: redact(n.message) } : {}),
    time: time.toISOString(),
  };
}
