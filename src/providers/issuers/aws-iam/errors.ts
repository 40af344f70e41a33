// AWS errors -> KeyrotErrors a user can act on. AWS error messages carry ids, ARNs and actions,
// never a secret; we still quote only their first sentence.
import { KeyrotError } from '../../../errors.js';
import { formatDuration } from '../../../shared/duration.js';
import { allTimedOut, attemptsSummary, noAnswerKind } from '../../../shared/attempt-failures.js';
import { originOnly } from '../../../secrets/urls.js';

/** A failed AWS call: which action, the SDK's error, and how many attempts were made. */
export class AwsCallError extends Error {
  constructor(
    readonly action: string,
    readonly error: unknown,
    readonly attempts: number,
    /** Each attempt's failure, in order. */
    readonly failures: unknown[] = [error],
    readonly elapsedMs = 0,
  ) {
    super(`${action} failed`);
    this.name = 'AwsCallError';
  }
}

/** The AWS error code, without the SDK's "Exception" suffix: "NoSuchEntity", "AccessDenied". */
export function awsCode(e: unknown): string | undefined {
  if (e instanceof AwsCallError) return awsCode(e.error);
  if (!(e instanceof Error)) return undefined;
  const raw = (e as { Code?: unknown }).Code ?? e.name;
  return typeof raw === 'string' && raw !== 'Error' ? raw.replace(/Exception$/, '') : undefined;
}

const THROTTLING = new Set(['Throttling', 'TooManyRequests', 'RequestLimitExceeded', 'RequestThrottled', 'SlowDown']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);
const CREDENTIALS: Record<string, string> = {
  ExpiredToken: 'the session token has expired',
  RequestExpired: 'the request signature has expired (is the clock right?)',
  InvalidClientTokenId: 'the access key id is not valid',
  UnrecognizedClient: 'the access key id is not valid',
  SignatureDoesNotMatch: 'the secret access key does not match its key id',
  AuthFailure: 'AWS could not validate them',
};

export const isThrottling = (e: unknown) => THROTTLING.has(awsCode(e) ?? '');

/** Worth retrying because the request never took effect, or may not have (5xx, network). */
export function isTransient(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return isThrottling(e) || (status !== undefined && status >= 500) || NETWORK.has(networkCode(e) ?? '') || awsCode(e) === 'TimeoutError';
}

function networkCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

function firstSentence(text: string): string {
  const line = originOnly(text.split('\n')[0] ?? ''); // an SDK message may quote the endpoint URL
  const end = line.search(/\.(\s|$)/);
  return (end > 0 ? line.slice(0, end) : line).slice(0, 300);
}

export interface CallContext {
  /** "aws-iam user payments-service" */
  issuer: string;
  /** The IAM/STS action called: "iam:CreateAccessKey". */
  action: string;
  user: string;
  keyId?: string;
  chain: string;
  endpoint?: string;
  /** Per-request timeout, for the message when a call got no answer. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
}

export function toKeyrotError(thrown: unknown, context: CallContext): KeyrotError {
  if (thrown instanceof KeyrotError) return thrown;
  const call = thrown instanceof AwsCallError ? { ...context, action: thrown.action } : context;
  const attempts = thrown instanceof AwsCallError ? thrown.attempts : 1;
  const e = thrown instanceof AwsCallError ? thrown.error : thrown;
  const code = awsCode(e);
  const message = e instanceof Error ? e.message : String(e);

  if (code === 'CredentialsProviderError' || code === 'TokenProviderError' || (code && code in CREDENTIALS)) {
    const reason = CREDENTIALS[code] ?? firstSentence(message);
    return new KeyrotError('aws-credentials', { issuer: call.issuer, reason, chain: call.chain });
  }
  if (code === 'NoSuchEntity') {
    // "The user with name X cannot be found." vs "The Access Key with id X cannot be found."
    if (/access key/i.test(message) && call.keyId) return new KeyrotError('aws-key-not-found', { keyId: call.keyId, user: call.user });
    return new KeyrotError('aws-user-not-found', { user: call.user });
  }
  if (code === 'AccessDenied' || code === 'UnauthorizedOperation') {
    // "User: arn:… is not authorized to perform: iam:CreateAccessKey on resource: user x because …"
    const m = /User: (\S+) is not authorized to perform: (\S+?)(?: on resource: (.+?))?(?: because|\.?$)/.exec(message);
    return new KeyrotError('aws-access-denied', {
      principal: m?.[1],
      action: m?.[2] ?? call.action,
      resource: m?.[3],
    });
  }
  const where = call.endpoint ?? 'AWS';
  const timeouts = { timeoutMs: call.timeoutMs ?? 0, connectTimeoutMs: call.connectTimeoutMs };
  const failures = thrown instanceof AwsCallError ? thrown.failures : [e];
  if (call.timeoutMs !== undefined && allTimedOut(failures, timeouts)) {
    const each = attempts > 1 ? ` (each of ${attempts} attempts)` : '';
    return new KeyrotError('provider-timeout', { provider: call.issuer, operation: call.action, timeout: `${formatDuration(call.timeoutMs)}${each}` });
  }
  // No answer, as each attempt met it: reset, refused, timed out (never "no answer within 30s" for a reset).
  if (noAnswerKind(e, timeouts) !== undefined) {
    const elapsed = thrown instanceof AwsCallError ? thrown.elapsedMs : 0;
    const summary = attemptsSummary(failures, timeouts, elapsed, (f) => awsCode(f) ?? 'error');
    return new KeyrotError('provider-failed', { provider: call.issuer, operation: call.action, reason: `no answer from ${where}: ${summary}` });
  }
  const reason = isThrottling(e)
    ? `throttled by AWS (${code}) ${attempts} times in a row`
    : `${code ?? 'error'}: ${firstSentence(message)}`;
  return new KeyrotError('provider-failed', { provider: call.issuer, operation: call.action, reason });
}
