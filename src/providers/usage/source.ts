// Evidence of a key's use from outside the issuer: the service's own metrics (Prometheus) or its
// own record of last use (an HTTP endpoint). Like every provider it knows nothing of phases.

/** What a usage source said about one key over one stretch of time. */
export type UsageAnswer =
  | {
      answered: true;
      /** The question as asked: the rendered query, or the URL without credentials. */
      query: string;
      /** The answer as received (Prometheus' value, the endpoint's lastUsedAt), for the audit log. */
      value: string;
      /** When the answer holds: Prometheus' evaluation time, or when the endpoint answered. */
      at: Date;
      /** Requests made with the key in the window, where the source counts them. */
      requests?: number;
      /** The last use the source knows of (null: never used), where it records one. */
      lastUsedAt?: Date | null;
    }
  | { answered: false; query: string; at: Date; reason: string };

/**
 * Every implementation guarantees:
 * - `usedSince` never throws: a source that cannot answer (down, refused, timed out, a non-2xx
 *   status, an empty or malformed answer) returns `answered: false` with the reason. No answer is
 *   never "unused". `answered: true` carries only values read against the server's documented
 *   shape: a finite count >= 0, real dates (the engine holds the gate on any other).
 * - No secret (a bearer token, a password) appears in `query`, `value` or `reason`, and no text a
 *   server wrote reaches them unescaped (shared/printable): never a value of a malformed answer.
 */
export interface UsageSource {
  /** One line for humans: "prometheus http://prometheus:9090". */
  readonly label: string;
  /** How the source answers for `keyId` from `since` until `now` (keyrot's clock). */
  usedSince(keyId: string, since: Date, now: Date): Promise<UsageAnswer>;
  /** The question asked, for `keyrot plan`. */
  explain(): string;
}

/** Whether an answer says the key was used in the window that started at `since`. */
export const usedIn = (answer: Extract<UsageAnswer, { answered: true }>, since: Date): boolean =>
  (answer.requests ?? 0) > 0 || (answer.lastUsedAt != null && answer.lastUsedAt >= since);
