import type { Details, MessageCode } from '../messages.js';
import type { PhaseName } from './rotation.js';

/**
 * What a gate or a wait found, with the evidence for it: shown to the user. `audited` is evidence the
 * audit log keeps too, whatever the verdict: a usage query, its value and when it was answered.
 */
export type GateResult = (
  | { kind: 'open'; evidence: string[] }
  | { kind: 'wait'; until: Date; reason: string; evidence: string[] }
  | { kind: 'hold'; code: MessageCode; details: Details; evidence: string[]; rollBack?: boolean; goBack?: PhaseName }
) & { audited?: string[] };

export const open = (...evidence: string[]): GateResult => ({ kind: 'open', evidence });
export const waitUntil = (until: Date, reason: string, ...evidence: string[]): GateResult => ({ kind: 'wait', until, reason, evidence });
export const hold = (code: MessageCode, details: Details, ...evidence: string[]): GateResult => ({ kind: 'hold', code, details, evidence });

/** A hold that first undoes the last reversible step (a health check failed after deactivation). */
export const holdAndRollBack = (code: MessageCode, details: Details, ...evidence: string[]): GateResult => ({
  kind: 'hold', code, details, evidence, rollBack: true,
});

/** A hold after which the rotation goes back to an earlier phase: the next run redoes it from there. */
export const holdAndGoBack = (code: MessageCode, details: Details, goBack: PhaseName, ...evidence: string[]): GateResult => ({
  kind: 'hold', code, details, evidence, goBack,
});

/** `result`, with evidence the audit log keeps as well (the runner writes it). */
export const audited = (result: GateResult, ...lines: string[]): GateResult =>
  lines.length ? { ...result, audited: [...(result.audited ?? []), ...lines] } : result;
