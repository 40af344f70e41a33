// A small JSON-over-HTTPS client for the CI stores (github-actions, gitlab-ci): a bearer-style header
// from the caller, a timeout per request, bounded retries on 5xx and network failures, and the vendor's
// rate limit honoured (waited out when it resets within maxRetryWait, else reported with its reset
// time). Failures come back as RestFailure with the status and the vendor's answer, for the store to
// word; a body keyrot sent (a secret) is never part of one.
import { noAnswerKind } from '../../shared/attempt-failures.js';
import { fetchWithin } from '../../shared/fetch-within.js';
import { GaveUp, retrying } from '../retry.js';

export interface RateLimit {
  /** When the vendor's limit resets. */
  until: Date;
}

export interface RestConfig {
  /** The API's base URL, without a trailing slash: https://api.github.com, https://gitlab.com/api/v4. */
  baseUrl: string;
  headers(): Record<string, string>;
  timeoutMs: number;
  /** The longest rate-limit wait sat out before giving up. */
  maxRetryWaitMs: number;
  /** The vendor's "rate limited" answer, read from its status and headers; undefined for any other. */
  rateLimit(status: number, headers: Headers, now: number): RateLimit | undefined;
  note(message: string): void;
}

export interface Reply {
  status: number;
  json: unknown;
  headers: Headers;
}

/** A call that failed: the vendor's answer (status, headers, its JSON), or none (network, timeout). */
export class RestFailure extends Error {
  constructor(
    readonly call: string,
    readonly reply: Reply | undefined,
    readonly reason: string,
    readonly rateLimit?: RateLimit,
  ) {
    super(`${call}: ${reason}`);
    this.name = 'RestFailure';
  }
}

const ATTEMPTS = 4;

/** A request that got no (complete) answer, saying what happened: timed out, reset, refused. */
function noAnswer(config: RestConfig, call: string, e: unknown): RestFailure {
  const cause = (e as { cause?: unknown }).cause;
  const kind = noAnswerKind((e as Error).name === 'TimeoutError' ? e : cause ?? e, { timeoutMs: config.timeoutMs });
  const code = (cause as { code?: unknown } | undefined)?.code;
  return new RestFailure(call, undefined, kind ? `no answer from ${new URL(config.baseUrl).origin}: ${kind}` : `cannot reach ${new URL(config.baseUrl).origin}${typeof code === 'string' ? ` (${code})` : ''}`);
}

async function once(config: RestConfig, method: string, path: string, body: unknown, call: string): Promise<Reply> {
  // Outside the try: a missing credential is the caller's error to report, not a network failure to retry.
  const headers = { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...config.headers() };
  // One deadline over the request and its body: one that stalls after the headers is cut off at the
  // timeout, and is no answer (never an empty one).
  let res: Response;
  let text: string;
  try {
    ({ response: res, text } = await fetchWithin(`${config.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      redirect: 'error',
    }, config.timeoutMs));
  } catch (e) {
    throw noAnswer(config, call, e);
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const reply = { status: res.status, json, headers: res.headers };
  if (res.ok) return reply;
  const limited = config.rateLimit(res.status, res.headers, Date.now());
  throw new RestFailure(call, reply, `answered ${res.status}`, limited);
}

const retryable = (e: unknown, maxWaitMs: number) =>
  e instanceof RestFailure &&
  (e.reply === undefined || e.reply.status >= 500 || (e.rateLimit !== undefined && e.rateLimit.until.getTime() - Date.now() <= maxWaitMs));

/** One call, retried where another attempt may succeed; `accept`: statuses answered as they are (404 for "absent"). */
export async function rest(config: RestConfig, method: string, path: string, options: { body?: unknown; accept?: number[] } = {}): Promise<Reply> {
  const call = `${method} ${path}`;
  try {
    return await retrying(
      async () => {
        try {
          return await once(config, method, path, options.body, call);
        } catch (e) {
          if (e instanceof RestFailure && e.reply && options.accept?.includes(e.reply.status)) return e.reply;
          throw e;
        }
      },
      {
        backoff: { attempts: ATTEMPTS, firstDelayMs: 500, maxDelayMs: 8_000 },
        retryable: (e) => retryable(e, config.maxRetryWaitMs),
        askedWaitMs: (e) => (e instanceof RestFailure && e.rateLimit ? Math.max(0, e.rateLimit.until.getTime() - Date.now()) : undefined),
        onRetry: (e, attempt) => {
          const wait = e instanceof RestFailure && e.rateLimit ? `; rate limited until ${e.rateLimit.until.toISOString()}` : '';
          config.note(`${(e as Error).message}${wait}; attempt ${attempt} of ${ATTEMPTS}`);
        },
      },
    );
  } catch (e) {
    throw e instanceof GaveUp ? e.error : e;
  }
}
