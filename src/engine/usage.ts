// The usage gates: the plan's usage source (the service's Prometheus metrics, or its own last-use
// endpoint) must agree with the issuer that the old key is unused, before it is deactivated and
// before it is deleted. No answer (down, refused, empty) is never "unused": the gate holds and says why.
import { formatDuration } from '../shared/duration.js';
import { printable } from '../shared/printable.js';
import { usedIn, type UsageAnswer, type UsageSource } from '../providers/usage/source.js';
import type { RotationContext } from './context.js';
import { audited, hold, open, waitUntil, type GateResult } from './gate.js';
import { surveyKeys } from './keys.js';
import { count } from '../shared/plural.js';

export interface Finding {
  verdict: 'unused' | 'used' | 'unknown';
  /** The question, the answer and when: shown, and kept in the audit log. */
  evidence: string;
  /** How much it was used ("about 12 times", "at <date>"), or why there is no answer. */
  detail: string;
  source: string;
  lastUsedAt?: Date;
}

/** "12", "about 4.5": Prometheus' increase() extrapolates, so a count need not be whole. Never rounds a use to 0. */
const times = (n: number) => (Number.isInteger(n) ? count(n, 'time') : `about ${n >= 1 ? Math.round(n) : n.toPrecision(2)} times`);

const isDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/**
 * Why an answer a source calls answered is none after all (a date that is not one, a count that is not
 * a count), or undefined: every source validates its own answers; this holds the gate for one that did not.
 */
function malformed(answer: Extract<UsageAnswer, { answered: true }>): string | undefined {
  if (!isDate(answer.at)) return 'its answer has no valid time';
  if (answer.requests !== undefined && !(Number.isFinite(answer.requests) && answer.requests >= 0)) return 'its count of requests is not a count';
  if (answer.lastUsedAt !== undefined && answer.lastUsedAt !== null && !isDate(answer.lastUsedAt)) return 'its last use is not a date';
  if (answer.requests === undefined && answer.lastUsedAt === undefined) return 'its answer says nothing about use';
  return undefined;
}

/** Ask the usage source whether `keyId` was used from `since` until `now` (keyrot's clock). */
export async function askSource(source: UsageSource, keyId: string, since: Date, now: Date): Promise<Finding> {
  let answer: UsageAnswer;
  try {
    answer = await source.usedSince(keyId, since, now);
  } catch (e) {
    answer = { answered: false, query: source.explain(), at: new Date(), reason: (e as Error)?.message ?? String(e) };
  }
  const wrong = answer.answered ? malformed(answer) : undefined;
  if (wrong) answer = { answered: false, query: answer.query, at: new Date(), reason: `${source.label} gave a malformed answer: ${wrong}` };
  if (!answer.answered) {
    const reason = printable(answer.reason, 2_000); // a source's reason may quote what a server said
    const at = isDate(answer.at) ? answer.at : new Date();
    return { verdict: 'unknown', source: source.label, detail: reason, evidence: `${source.label}: ${answer.query} gave no answer at ${at.toISOString()}: ${reason}` };
  }
  const evidence = `${source.label}: ${answer.query} = ${printable(answer.value, 200)} at ${answer.at.toISOString()}`;
  if (!usedIn(answer, since)) return { verdict: 'unused', source: source.label, detail: 'unused', evidence };
  const detail = answer.lastUsedAt ? `at ${answer.lastUsedAt.toISOString()}` : times(answer.requests ?? 0);
  return { verdict: 'used', source: source.label, detail, evidence, ...(answer.lastUsedAt ? { lastUsedAt: answer.lastUsedAt } : {}) };
}

/** Ask the plan's usage source whether `keyId` was used from `since` until now; undefined when the plan has none. */
const askUsage = async (ctx: RotationContext, keyId: string, since: Date): Promise<Finding | undefined> =>
  ctx.usage ? askSource(ctx.usage, keyId, since, ctx.clock.now()) : undefined;

type Check = (ctx: RotationContext) => Promise<GateResult>;

/** A phase's own check (the issuer's), then the usage source's opinion on what it let through. */
export const withUsage = (check: Check, usage: (ctx: RotationContext, issuer: GateResult) => Promise<GateResult>): Check =>
  async (ctx) => usage(ctx, await check(ctx));

/** What the usage source adds to a gate or wait that the issuer has already let through. */
const agree = (issuer: GateResult, finding: Finding, result: GateResult): GateResult =>
  audited({ ...result, evidence: [...issuer.evidence, ...result.evidence] }, finding.evidence);

/**
 * Before deactivate, once the issuer says the old key is quiet: any request with it in the last
 * `quietFor`? Quiet only when the answer is none; used, it is asked again (until maxWait).
 */
export async function quietByUsage(ctx: RotationContext, issuer: GateResult): Promise<GateResult> {
  const rule = ctx.plan.lastUsed;
  const keyId = ctx.state.oldKeyId;
  if (issuer.kind !== 'open' || !rule || !keyId || !ctx.usage) return issuer;
  const now = ctx.clock.now();
  const finding = (await askUsage(ctx, keyId, new Date(now.getTime() - rule.quietFor)))!;
  if (finding.verdict === 'unknown') {
    return agree(issuer, finding, hold('usage-unknown', { keyId, source: finding.source, reason: finding.detail, step: 'deactivating' }, finding.evidence));
  }
  if (finding.verdict === 'unused') return agree(issuer, finding, open(finding.evidence));
  const giveUp = new Date(ctx.state.deadlines['last-used']!);
  const lastUsed = `${finding.detail}${finding.lastUsedAt ? '' : ` in the last ${formatDuration(rule.quietFor)}`} (${finding.source})`;
  if (now >= giveUp) return agree(issuer, finding, hold('old-key-in-use', { keyId, lastUsed, waited: formatDuration(rule.maxWait) }, finding.evidence));
  // A last-use date says when it goes quiet; a count only that it has not yet: ask again after `interval`.
  const interval = ctx.plan.usage?.interval ?? 60_000;
  const quietAt = finding.lastUsedAt ? new Date(finding.lastUsedAt.getTime() + rule.quietFor) : new Date(now.getTime() + interval);
  const next = quietAt < giveUp ? quietAt : giveUp;
  return agree(issuer, finding, waitUntil(next, `old key must be quiet for ${formatDuration(rule.quietFor)}: used ${lastUsed}`, finding.evidence));
}

/**
 * Before delete, once the issuer's checks pass: any request with the old key since it was
 * deactivated? Deleted only when none over the whole soak. A revoked (leaked) key is deleted on
 * request whatever it shows: its use then is evidence, not a reason to keep it.
 */
export async function unusedByUsage(ctx: RotationContext, issuer: GateResult): Promise<GateResult> {
  const { state } = ctx;
  const keyId = state.oldKeyId;
  if (issuer.kind !== 'open' || !keyId || !state.deactivatedAt || !ctx.usage) return issuer;
  const finding = (await askUsage(ctx, keyId, new Date(state.deactivatedAt)))!;
  if (state.mode === 'revoke') {
    const warning = finding.verdict === 'used' ? [`WARNING: ${finding.source} saw the revoked key used ${finding.detail} after it was revoked`] : [];
    return agree(issuer, finding, open(finding.evidence, ...warning));
  }
  if (finding.verdict === 'unknown') {
    return agree(issuer, finding, hold('usage-unknown', { keyId, source: finding.source, reason: finding.detail, step: 'deleting' }, finding.evidence));
  }
  if (finding.verdict === 'used') {
    return agree(issuer, finding, hold('used-after-deactivate', { keyId, lastUsed: `${finding.detail} (${finding.source})`, deactivatedAt: state.deactivatedAt }, finding.evidence));
  }
  return agree(issuer, finding, open(finding.evidence));
}

/**
 * For `keyrot plan`: what `check` (quietByUsage, unusedByUsage) would make of the usage source's
 * answer now, about the key a rotation would retire. Undefined when it would not ask (no lastUsed
 * rule, not deactivated yet, no key to retire). Read-only.
 */
export async function usageNow(ctx: RotationContext, check: (ctx: RotationContext, issuer: GateResult) => Promise<GateResult>): Promise<GateResult | undefined> {
  if (!ctx.usage) return undefined;
  const keyId = ctx.state.oldKeyId ?? (await surveyKeys(ctx)).picture?.oldKeyId;
  if (!keyId) return undefined;
  // A rotation not yet at last-used would give up maxWait from now.
  const giveUp = new Date(ctx.clock.now().getTime() + (ctx.plan.lastUsed?.maxWait ?? 0)).toISOString();
  const state = { ...ctx.state, oldKeyId: keyId, deadlines: { 'last-used': giveUp, ...ctx.state.deadlines } };
  const result = await check({ ...ctx, state }, open());
  return result.audited?.length ? result : undefined;
}
