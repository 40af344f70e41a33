// JSON paths (RFC 9535) into vendor answers, through jsonpath-rfc9535: no eval, no dependencies,
// the whole compliance suite passing (unlike jsonpath-plus and jsonpath, whose filter evaluation
// had code-execution advisories). Loaded only with the http issuer.
import { query, type JsonValue } from 'jsonpath-rfc9535';
import { KeyrotError } from '../../../errors.js';

/** Refuse a malformed path before any call is made (`field`: where the plan wrote it). */
export function checkPath(path: string, field: string): void {
  try {
    query({}, path);
  } catch (e) {
    throw new KeyrotError('usage', { problem: `source.${field}: "${path}" is not a JSON path (RFC 9535): ${(e as Error).message.split('\n')[0]}` });
  }
}

/** Every value the path finds. */
export const findAll = (document: unknown, path: string): unknown[] => query((document ?? null) as JsonValue, path);

/** The one value the path finds, or undefined when it finds nothing (or null). */
export function findOne(document: unknown, path: string): unknown {
  const found = findAll(document, path);
  return found.length === 0 || found[0] === null ? undefined : found[0];
}

/** A time as vendors write it: ISO 8601, RFC 2822 (Twilio), Unix seconds or milliseconds (OpenAI). */
export function asDate(value: unknown): Date | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value))) {
    const n = Number(value);
    const date = new Date(n < 1e11 ? n * 1000 : n);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
