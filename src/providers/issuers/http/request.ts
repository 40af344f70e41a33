// One call of the plan, made: templates filled, the admin credential attached, retried on 429, 5xx
// and network failures (a create only where it cannot have reached the vendor, or on 429), with
// Retry-After (or the vendor's own header) honoured up to maxRetryWait. Every failure becomes a
// KeyrotError naming the vendor, the call, the request and what came back, never a value of it.
import { KeyrotError } from '../../../errors.js';
import { GaveUp, retrying } from '../../retry.js';
import { adminHeaders, describeSource } from './auth.js';
import type { Call } from './calls-schema.js';
import { exchange, NoAnswer, type Answer } from './client.js';
import { askedWait, failureOf, header, HttpStatus, type VendorLimitReached } from './failure.js';
import type { ResolvedHttp } from './resolve.js';
import { shapeOfText } from './shape.js';
import { fillJson, fillText, type Vars } from './template.js';

export interface Reply {
  status: number;
  /** The parsed JSON body (undefined when empty or not JSON). */
  json: unknown;
  /** The body's shape, for errors (never its values). */
  shape: string;
}

export interface CallOptions {
  /** Statuses returned as they are instead of thrown (delete's goneOn, list's emptyOn, verify's refusals). */
  accept?: number[];
  /** A URL the vendor gave (a next page): on the base URL's host only. */
  url?: URL;
  query?: Record<string, string>;
  /** Headers instead of the admin credential's (verify carries the new key). */
  auth?: Record<string, string>;
  /** The vendor's own key limit, reached (a create). */
  vendorLimit?: VendorLimitReached;
}

export interface Requester {
  call(name: string, spec: Call, vars: Vars, options?: CallOptions): Promise<Reply>;
  /** "POST /v1/keys", filled with the plan's values, for plans and messages. */
  describe(spec: Call, vars: Vars): string;
  /** A link the vendor gave (a next page), against the base URL. */
  resolve(link: string): URL;
}

export function requester(config: ResolvedHttp, ctx: { env: NodeJS.ProcessEnv; planDir: string; note(m: string): void; ca?: () => Promise<string | undefined> }): Requester {
  const base = new URL(`${config.baseUrl}/`);
  const source = describeSource(config.auth);
  const permissions = config.permissions.map((p) => fillText(p, config.values)).join('; ');
  const describe = (spec: Call, vars: Vars) => `${spec.method} ${fillText(spec.path, vars, encodeURIComponent)}`;

  const urlOf = (spec: Call, vars: Vars, options: CallOptions): URL => {
    const url = options.url ?? new URL(`${base.pathname.replace(/\/$/, '')}${fillText(spec.path, vars, encodeURIComponent)}`, base);
    if (url.origin !== base.origin) throw new KeyrotError('http-unexpected', { vendor: config.vendor, call: 'list', request: describe(spec, vars), status: 200, what: `its next page is on another host (${url.origin})`, shape: 'a link', field: 'calls.list.paging' });
    if (!options.url) for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, String(fillJson(v, vars)));
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    return url;
  };

  const bodyOf = (spec: Call, vars: Vars): { body?: string; type?: string } => {
    if (spec.body === undefined) return {};
    const filled = fillJson(spec.body, vars);
    if (spec.encoding === 'json') return { body: JSON.stringify(filled), type: 'application/json' };
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries((filled ?? {}) as Record<string, unknown>)) {
      for (const item of Array.isArray(v) ? v : [v]) form.append(k, typeof item === 'string' ? item : JSON.stringify(item));
    }
    return { body: form.toString(), type: 'application/x-www-form-urlencoded' };
  };

  async function call(name: string, spec: Call, vars: Vars, options: CallOptions = {}): Promise<Reply> {
    const request = describe(spec, vars);
    const details = { vendor: config.vendor, call: name, request };
    const url = urlOf(spec, vars, options);
    const { body, type } = bodyOf(spec, vars);
    const headers = { ...Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k, fillText(v, vars)])), ...(type ? { 'content-type': type } : {}) };
    const accept = options.accept ?? [];
    const ca = await ctx.ca?.();
    const once = async (): Promise<Answer> => {
      const auth = options.auth ?? (await adminHeaders(config.auth, { vendor: config.vendor, env: ctx.env, planDir: ctx.planDir }));
      const answer = await exchange({ method: spec.method, url, headers: { ...headers, ...auth }, ...(body !== undefined ? { body } : {}) }, {
        timeoutMs: config.timeout, connectTimeoutMs: config.connectTimeout, ...(ca ? { ca } : {}),
      });
      if ((answer.status >= 200 && answer.status < 300) || accept.includes(answer.status)) return answer;
      throw new HttpStatus(answer, askedWait(answer, config, Date.now()));
    };
    // A create that may have reached the vendor is never sent twice: a second key would be an orphan.
    const retryable = (e: unknown) => {
      if (e instanceof NoAnswer) return e.reason !== 'tls' && e.reason !== 'too-large' && (name !== 'create' || !e.sent);
      if (!(e instanceof HttpStatus)) return false;
      const { status } = e.answer;
      if ((e.waitMs ?? 0) > config.maxRetryWait) return false;
      return status === 429 || (status >= 500 && name !== 'create');
    };
    let answer: Answer;
    try {
      answer = await retrying(once, {
        backoff: { attempts: config.attempts, firstDelayMs: 500, maxDelayMs: 8_000 },
        retryable,
        askedWaitMs: (e) => (e instanceof HttpStatus ? e.waitMs : undefined),
        onRetry: (e, next) => ctx.note(`${config.vendor}: ${name} ${e instanceof HttpStatus ? `answered ${e.answer.status}` : (e as Error).message}; attempt ${next} of ${config.attempts}`),
      });
    } catch (e) {
      throw failureOf(e instanceof GaveUp ? e : new GaveUp(e, 1, 0), details, { config, source, permissions }, options.vendorLimit);
    }
    let json: unknown;
    try {
      json = answer.text.trim() === '' ? undefined : JSON.parse(answer.text);
    } catch {
      json = undefined;
    }
    return { status: answer.status, json, shape: shapeOfText(answer.text, header(answer, 'content-type')) };
  }

  return { call, describe, resolve: (link) => new URL(link, base) };
}
