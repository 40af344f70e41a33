// One record of the audit log: a side effect (or a hold, a failure, a decision), never a secret.
// Each state store keeps the log its own way (state/file-audit.ts, state/vault-audit.ts).
import os from 'node:os';

export interface AuditRecord {
  time: string;
  plan: string;
  rotationId: string;
  phase: string;
  action: string;
  oldKeyId?: string | null;
  newKeyId?: string | null;
  outcome: 'ok' | 'failed' | 'held' | 'skipped';
  detail?: string;
  actor: string;
}

const OUTCOMES: ReadonlySet<string> = new Set(['ok', 'failed', 'held', 'skipped']);
const isText = (v: unknown): v is string => typeof v === 'string';
const isKeyId = (v: unknown) => v === undefined || v === null || isText(v);

/** One line of the log as a record, or undefined when it is not one (cut short, or JSON of another shape). */
export function parseAuditLine(line: string): AuditRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return auditRecordOf(value);
}

/** A value already parsed from JSON as a record, or undefined when it is not one. */
export function auditRecordOf(value: unknown): AuditRecord | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    isText(r.time) && !Number.isNaN(Date.parse(r.time)) &&
    isText(r.plan) && isText(r.rotationId) && isText(r.phase) && isText(r.action) && isText(r.actor) &&
    isText(r.outcome) && OUTCOMES.has(r.outcome) &&
    isKeyId(r.oldKeyId) && isKeyId(r.newKeyId) && (r.detail === undefined || isText(r.detail));
  return ok ? (value as AuditRecord) : undefined;
}

let who: string | undefined;
/** Who is acting: user@host, asked of the OS once per process (each ask reads the user database; a
 *  fleet run appends several records per rotation). */
export const actor = (): string => (who ??= `${os.userInfo().username}@${os.hostname()}`);

/** What status shows of a plan's audit history: its newest record, and when it last failed. */
export interface AuditSummary {
  last: AuditRecord;
  lastFailureAt: string | null;
}

/** Fold records, oldest first, into the summaries of `plans` (a record of any other plan is passed over). */
export function summarize(into: Map<string, AuditSummary>, plans: ReadonlySet<string>, records: Iterable<AuditRecord>): void {
  for (const record of records) {
    if (!plans.has(record.plan)) continue;
    const failedAt = record.outcome === 'failed' ? record.time : undefined;
    into.set(record.plan, { last: record, lastFailureAt: failedAt ?? into.get(record.plan)?.lastFailureAt ?? null });
  }
}
