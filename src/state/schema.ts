// What a stored rotation record must look like. A record is read back from disk, where anything can
// happen to it (a crash mid-edit, a restore of the wrong file, a hand edit): every field is checked
// before the engine trusts it. Fields this schema does not know are kept as they are.
import * as z from 'zod';
import { PHASE_NAMES } from './rotation-state.js';

export const STATE_FORMAT = 1;

const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'a date and time (ISO 8601)');
const phase = z.enum(PHASE_NAMES);
const stage = z.enum(['ready', 'acting', 'waiting']);
const keyId = z.string().min(1);

export const stateRecordSchema = z.looseObject({
  format: z.literal(STATE_FORMAT),
  plan: z.string().min(1),
  rotationId: z.string().min(1),
  startedAt: time,
  updatedAt: time,
  version: z.number().int().min(0),
  mode: z.enum(['rotate', 'revoke']),
  phase: z.union([phase, z.literal('done')]),
  stage,
  resumeAt: z.object({ phase, stage }).nullable(),
  oldKeyId: keyId.nullable(),
  keysBeforeCreate: z.array(z.string()).nullable(),
  newKeyId: keyId.nullable(),
  newFingerprint: z.string().nullable(),
  published: z.array(z.string()),
  verifiedAt: time.nullable(),
  authenticatedAt: time.nullable(),
  deadlines: z.partialRecord(phase, time),
  deactivatedAt: time.nullable(),
  abandonedNewKey: z.object({ keyId, rotationId: z.string() }).optional(),
  alsoRevoked: z.array(z.object({ keyId, revokedAt: time.nullable(), finished: z.boolean(), deletedAt: time.nullable().optional() })).optional(),
  quietSince: time.nullable().optional(),
  approvedBy: z.string().nullable(),
  rolledBack: z.object({ at: time, reason: z.string() }).nullable(),
  completedAt: time.nullable(),
  abandoned: z.boolean(),
  hold: z.object({ code: z.string(), message: z.string(), since: time, evidence: z.array(z.string()) }).nullable(),
});

const fieldOf = (p: PropertyKey[]) => p.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('').replace(/^\./, '') || '(record)';

/** What is wrong with a parsed record, in words, or undefined when it is a valid record of `plan`. */
export function stateProblem(value: unknown, plan: string): { reason: string; newer?: boolean } | undefined {
  const format = (value as { format?: unknown } | null)?.format;
  if (typeof format === 'number' && format > STATE_FORMAT) {
    return { reason: `it was written by a newer keyrot (format ${format}; this one reads format ${STATE_FORMAT})`, newer: true };
  }
  const result = stateRecordSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 3).map((i) => `${fieldOf(i.path)}: ${i.message}`);
    const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : '';
    return { reason: `${issues.join('; ')}${more}` };
  }
  if (result.data.plan !== plan) return { reason: `it is the record of plan "${result.data.plan}", not "${plan}"` };
  return undefined;
}
