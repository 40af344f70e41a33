// AWS SDK errors -> KeyrotErrors, for every AWS service keyrot writes to (Secrets Manager, SSM Parameter
// Store). An SDK error keeps no request body, and these services' messages name actions and ARNs, never
// a value; we still quote only their first sentence, masked.
import { KeyrotError } from '../errors.js';
import { formatDuration } from '../shared/duration.js';
import { mask } from '../secrets/mask.js';
import { noAnswerKind } from '../shared/attempt-failures.js';

export interface AwsCall {
  store: string;
  /** The secret or parameter, as the plan names it. */
  resource: string;
  /** The API action: "secretsmanager:PutSecretValue". */
  action: string;
  /** The service, for "cannot reach …": "Secrets Manager", "SSM Parameter Store". */
  service: string;
  endpoint?: string;
  timeoutMs?: number;
  sensitive?: string[];
}

/** The AWS error code without the SDK's "Exception" suffix: "ResourceNotFound", "AccessDenied". */
export function awsCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const raw = (e as { Code?: unknown }).Code ?? e.name;
  return typeof raw === 'string' && raw !== 'Error' ? raw.replace(/Exception$/, '') : undefined;
}

const THROTTLING = new Set(['Throttling', 'TooManyRequests', 'RequestLimitExceeded', 'ThrottlingException']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

export function firstSentence(text: string): string {
  const line = text.split('\n')[0] ?? '';
  const end = line.search(/\.(\s|$)/);
  return (end > 0 ? line.slice(0, end) : line).slice(0, 300);
}

export function awsError(e: unknown, call: AwsCall, region: string): KeyrotError {
  if (e instanceof KeyrotError) return e;
  const code = awsCode(e);
  const message = mask(e instanceof Error ? e.message : String(e), call.sensitive ?? []);
  if (code === 'CredentialsProviderError' || code === 'TokenProviderError' || code === 'ExpiredToken' || code === 'UnrecognizedClient' || code === 'InvalidSignature') {
    return new KeyrotError('aws-credentials', {
      issuer: call.store,
      reason: firstSentence(message),
      chain: 'the AWS default chain (environment variables, profile incl. SSO, web identity, container and instance metadata)',
    });
  }
  // A 403 whose body the SDK could not read (a proxy's page, or moto's XML) is a refusal all the same.
  const status = (e as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  if (code === 'AccessDenied' || status === 403) {
    // "User: arn:… is not authorized to perform: secretsmanager:PutSecretValue on resource: arn:… because …"
    const m = /User: (\S+) is not authorized to perform: (\S+?)(?: on resource: (\S+?))?(?: because|\.?$|\s)/.exec(message);
    return new KeyrotError('aws-access-denied', { principal: m?.[1], action: m?.[2] ?? call.action, resource: m?.[3] ?? call.resource });
  }
  // The SDK retries on its own: it says how many attempts it made; the last one says what happened
  // (the SDK names a reset connection "TimeoutError" too: the network code tells them apart).
  const attempts = (e as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
  const tried = typeof attempts === 'number' && attempts > 1 ? attempts : 1;
  const kind = call.timeoutMs !== undefined ? noAnswerKind(e, { timeoutMs: call.timeoutMs }) : undefined;
  if (kind !== undefined && call.timeoutMs !== undefined && kind === `no answer within ${formatDuration(call.timeoutMs)}`) {
    return new KeyrotError('provider-timeout', { provider: call.store, operation: call.action, timeout: `${formatDuration(call.timeoutMs)}${tried > 1 ? ` (the last of ${tried} attempts)` : ''}` });
  }
  const net = (e as { code?: unknown } | undefined)?.code;
  const where = call.endpoint ?? `${call.service} in ${region}`;
  const reason = THROTTLING.has(code ?? '')
    ? `throttled by AWS (${code}) after retries`
    : kind !== undefined
      ? `no answer from ${where}: ${kind}${tried > 1 ? ` on the last of ${tried} attempts` : ''}`
      : typeof net === 'string' && NETWORK.has(net)
        ? `cannot reach ${where} (${net})`
        : `${code ?? 'error'}: ${firstSentence(message)}`;
  return new KeyrotError('provider-failed', { provider: call.store, operation: call.action, reason });
}
