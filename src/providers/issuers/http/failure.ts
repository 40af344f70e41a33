// How a call's answer is read when it is not the one asked for: the wait a 429 asks for (Retry-After,
// or the vendor's own reset header), and the error a call ends in after its retries, named by kind
// (401, 403, 429, the vendor's key limit, no answer), never quoting a value of the answer.
import { KeyrotError } from '../../../errors.js';
import { formatDuration, parseDuration } from '../../../shared/duration.js';
import type { GaveUp } from '../../retry.js';
import { NoAnswer, type Answer } from './client.js';
import type { ResolvedHttp } from './resolve.js';
import { shapeOfText } from './shape.js';
import { count } from '../../../shared/plural.js';

/** The vendor's own key limit, reached (a create): these statuses mean it holds its most keys. */
export interface VendorLimitReached {
  on: number[];
  says: string;
  held: number;
}

/** What a failure names: the plan's settings, where the admin credential comes from, what it needs. */
export interface About {
  config: ResolvedHttp;
  source: string;
  permissions: string;
}

export class HttpStatus extends Error {
  constructor(readonly answer: Answer, readonly waitMs: number | undefined) {
    super(`HTTP ${answer.status}`);
  }
}

export const header = (a: Answer, name: string) => {
  const v = a.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** How long the vendor asked keyrot to wait before trying again, in ms. */
export function askedWait(a: Answer, config: ResolvedHttp, now: number): number | undefined {
  const retryAfter = header(a, 'retry-after');
  if (retryAfter !== undefined) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const own = config.rateLimitHeader;
  const value = own ? header(a, own.name)?.trim() : undefined;
  if (!own || value === undefined) return undefined;
  if (own.format === 'seconds' && /^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (own.format === 'epoch-seconds' && /^\d+$/.test(value)) return Math.max(0, Number(value) * 1000 - now);
  if (own.format === 'duration') return parseDuration(value) ?? undefined;
  return undefined;
}

/** The error a call ends in, after its retries: one per kind of answer, naming vendor, call and request. */
export function failureOf(gave: GaveUp, details: { vendor: string; call: string; request: string }, about: About, vendorLimit?: VendorLimitReached): KeyrotError {
  const { config, source, permissions } = about;
  const e = gave.error;
  const tried = `${count(gave.attempts, 'attempt')} over ${formatDuration(Math.round(gave.elapsedMs))}`;
  if (e instanceof KeyrotError) return e;
  if (e instanceof NoAnswer) {
    return new KeyrotError('http-no-answer', { ...details, reason: e.message, tried, setting: e.reason === 'connect' ? 'connectTimeout' : 'timeout' });
  }
  if (!(e instanceof HttpStatus)) return new KeyrotError('http-no-answer', { ...details, reason: (e as Error).message ?? String(e), tried });
  const { status } = e.answer;
  const shape = shapeOfText(e.answer.text, header(e.answer, 'content-type'));
  if (vendorLimit?.on.includes(status)) return new KeyrotError('http-vendor-limit', { ...details, status, says: vendorLimit.says, held: vendorLimit.held });
  if (status === 401) return new KeyrotError('http-auth-failed', { ...details, source });
  if (status === 403) {
    const invalidToo = config.forbiddenMeans === 'bad-credential-or-no-permission';
    return new KeyrotError('http-denied', { ...details, source, ...(invalidToo ? { invalidToo } : {}), ...(permissions ? { permissions } : {}) });
  }
  if (status === 429) {
    const asked = e.waitMs !== undefined ? `; it asked to wait ${formatDuration(e.waitMs)}${e.waitMs > config.maxRetryWait ? `, more than maxRetryWait (${formatDuration(config.maxRetryWait)})` : ''}` : '; it sent no Retry-After';
    return new KeyrotError('http-rate-limited', { ...details, tried: `${tried}${asked}` });
  }
  return new KeyrotError('http-failed', { ...details, status, shape, tried: status >= 500 ? `after ${tried}` : '' });
}
