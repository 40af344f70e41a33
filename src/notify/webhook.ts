// A webhook notification: one signed JSON POST, retried with backoff while the receiver is
// unreachable or overloaded. Throws a plain Error saying why it gave up.
import { createHmac } from 'node:crypto';
import pRetry, { AbortError } from 'p-retry';
import { formatDuration } from '../shared/duration.js';
import { rememberSecret } from '../secrets/redact.js';
import { originOf, originOnly } from '../secrets/urls.js';
import type { Payload } from './notice.js';
import type { WebhookEntry } from './schema.js';

export interface WebhookOptions {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Delay before the first retry; doubles after each. */
  retryDelayMs: number;
}

/** Only the origin: a webhook URL's path or query is often itself a credential (Slack, Teams). */
export const webhookLabel = (entry: WebhookEntry): string => `webhook ${originOf(entry.url)}`;

export const signature = (body: string, key: string): string => `sha256=${createHmac('sha256', key).update(body, 'utf8').digest('hex')}`;

function headersFor(entry: WebhookEntry, body: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'keyrot' };
  if (entry.signingKeyEnv) {
    const key = env[entry.signingKeyEnv];
    // Signing was asked for: an unsigned body would be rejected, or worse, trusted.
    if (!key) throw new Error(`signing key variable ${entry.signingKeyEnv} is not set; nothing was sent`);
    rememberSecret(key);
    headers['x-keyrot-signature'] = signature(body, key);
  }
  for (const [name, variable] of Object.entries(entry.headersFromEnv ?? {})) {
    const value = env[variable];
    if (!value) throw new Error(`header variable ${variable} (for ${name}) is not set; nothing was sent`);
    rememberSecret(value);
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** The reason behind a fetch failure ("fetch failed" alone says nothing). It may quote the URL
 *  (undici: "Request cannot be constructed from a URL that includes credentials: …"): origin only. */
const networkReason = (e: unknown): string => {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return originOnly(cause?.code ?? cause?.message ?? (e as Error).message);
};

export async function sendWebhook(entry: WebhookEntry, payload: Payload, options: WebhookOptions): Promise<void> {
  const body = JSON.stringify(payload);
  const headers = headersFor(entry, body, options.env);
  let attempts = 0;

  const attempt = async () => {
    attempts++;
    let response: Response;
    try {
      const signals = [AbortSignal.timeout(entry.timeout), ...(options.signal ? [options.signal] : [])];
      response = await fetch(entry.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.any(signals) });
    } catch (e) {
      if (options.signal?.aborted) throw new AbortError('interrupted');
      if ((e as Error).name === 'TimeoutError') throw new Error(`no answer within ${formatDuration(entry.timeout)}`);
      throw new Error(networkReason(e));
    }
    await response.body?.cancel(); // the answer's body is not used; free the connection
    if (response.ok) return;
    const reason = `HTTP ${response.status}`;
    // Worth another try only when the receiver is down or busy; anything else will not change.
    if (response.status >= 500 || response.status === 429) throw new Error(reason);
    throw new AbortError(reason);
  };

  try {
    await pRetry(attempt, { retries: entry.retries, minTimeout: options.retryDelayMs, factor: 2, maxTimeout: 60_000, signal: options.signal });
  } catch (e) {
    throw new Error(`${(e as Error).message} (${attempts} attempt${attempts === 1 ? '' : 's'})`);
  }
}
