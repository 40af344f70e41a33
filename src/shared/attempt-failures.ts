// What happened to a call that got no answer, attempt by attempt, in the words a user acts on: the
// connection was reset, refused, the host was not found, or nothing came within the timeout. A run
// that ended after 12 s of connection resets must not say "no answer within 30s (each of 6 attempts)".
import { formatDuration } from './duration.js';

/** The peer closed the connection before its answer was complete (UND_ERR_SOCKET: fetch's "other side closed"). */
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const NOT_FOUND = new Set(['ENOTFOUND', 'EAI_AGAIN']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

export interface Timeouts {
  timeoutMs: number;
  connectTimeoutMs?: number;
}

const field = (e: unknown, name: string): string | undefined => {
  const value = (e as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Why an attempt got no answer, or undefined when it did get one (an HTTP status, a service error) or
 * the error is not a network failure. The code is read before the name: the AWS SDK renames a reset
 * connection (ECONNRESET, EPIPE) "TimeoutError".
 */
export function noAnswerKind(e: unknown, t: Timeouts): string | undefined {
  const code = field(e, 'code') ?? '';
  if (RESET.has(code)) return 'connection reset';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (NOT_FOUND.has(code)) return `host not found (${code})`;
  if (UNREACHABLE.has(code)) return `host unreachable (${code})`;
  const name = field(e, 'name');
  if (code === 'ETIMEDOUT' || name === 'TimeoutError' || name === 'AbortError') {
    const connecting = /establish a connection|no connection within/i.test(field(e, 'message') ?? '');
    return connecting && t.connectTimeoutMs !== undefined ? `no connection within ${formatDuration(t.connectTimeoutMs)}` : `no answer within ${formatDuration(t.timeoutMs)}`;
  }
  return undefined;
}

/** Whether every attempt timed out waiting for the answer (not reset, not refused). */
export const allTimedOut = (errors: unknown[], t: Timeouts): boolean =>
  errors.length > 0 && errors.every((e) => noAnswerKind(e, t) === `no answer within ${formatDuration(t.timeoutMs)}`);

/**
 * What the attempts met, each kind with how many attempts met it, in the order first met: "connection
 * refused" (one attempt), "connection reset on each of 6 attempts over 13s", "connection reset (4
 * attempts), no answer within 30s (2); 6 attempts over 12s". An attempt that got an answer counts as
 * what the caller calls it (`answered`: "HTTP 503", "Throttling").
 */
export function attemptsSummary(errors: unknown[], t: Timeouts, elapsedMs: number, answered: (e: unknown) => string): string {
  const counts = new Map<string, number>();
  for (const e of errors) {
    const kind = noAnswerKind(e, t) ?? answered(e);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const over = `over ${formatDuration(Math.round(elapsedMs))}`;
  if (errors.length <= 1) return [...counts.keys()].join('');
  if (counts.size === 1) return `${[...counts.keys()][0]} on each of ${errors.length} attempts ${over}`;
  const kinds = [...counts].map(([kind, n], i) => `${kind} (${n}${i === 0 ? ` attempt${n === 1 ? '' : 's'}` : ''})`);
  return `${kinds.join(', ')}; ${errors.length} attempts ${over}`;
}
