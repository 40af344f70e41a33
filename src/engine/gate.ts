import type { DetailsOf, MessageCode, Said } from '../messages.js';
import type { PhaseName } from './rotation.js';

/**
 * What a gate or a wait found, with the evidence for it: shown to the user. `audited` is evidence the
 * audit log keeps too, whatever the verdict: a usage query, its value and when it was answered.
 */
export type GateResult = (
  | { kind: 'open'; evidence: string[] }
  | { kind: 'wait'; until: Date; reason: string; evidence: string[] }
  | (Said & { kind: 'hold'; evidence: string[]; rollBack?: boolean; goBack?: PhaseName })
) & { audited?: string[] };

export type Held = Extract<GateResult, { kind: 'hold' }>;

export const open = (...evidence: string[]): GateResult => ({ kind: 'open', evidence });
export const waitUntil = (until: Date, reason: string, ...evidence: string[]): GateResult => ({ kind: 'wait', until, reason, evidence });
/** A gate that holds, with what the message of `code` needs. */
export const hold = <C extends MessageCode>(code: C, details: DetailsOf<C>, ...evidence: string[]): Held =>
  ({ kind: 'hold', code, details, evidence }) as Held; // `code` and `details` belong together: Said

/** A hold that first undoes the last reversible step (a health check failed after deactivation). */
export const holdAndRollBack = <C extends MessageCode>(code: C, details: DetailsOf<C>, ...evidence: string[]): Held =>
  ({ ...hold(code, details, ...evidence), rollBack: true });

/** A hold after which the rotation goes back to an earlier phase: the next run redoes it from there. */
export const holdAndGoBack = <C extends MessageCode>(code: C, details: DetailsOf<C>, goBack: PhaseName, ...evidence: string[]): Held =>
  ({ ...hold(code, details, ...evidence), goBack });

/** `result`, with evidence the audit log keeps as well (the runner writes it). */
export const audited = (result: GateResult, ...lines: string[]): GateResult =>
  lines.length ? { ...result, audited: [...(result.audited ?? []), ...lines] } : result;
