// Azure SDK errors -> KeyrotErrors. A RestError carries the request, whose body holds the secret
// on a write: so we never rethrow, wrap (`cause`) or log one. We read its status, Key Vault's own
// error code and message (which name the caller and the permission, never a value), and build our
// own message, masked anyway.
import { KeyrotError } from '../../../errors.js';
import { formatDuration } from '../../../shared/duration.js';
import { mask } from '../../../secrets/mask.js';
import { attemptsSummary, noAnswerKind } from '../../../shared/attempt-failures.js';
import { GaveUp } from '../../retry.js';

/** What keyrot was doing, and what Key Vault asks for it (access policy permission, RBAC data action). */
export interface Call {
  store: string;
  vaultUrl: string;
  name: string;
  operation: string;
  permission: 'get' | 'list' | 'set';
  timeoutMs?: number;
  /** Values sent with the request that must never be shown. */
  sensitive?: string[];
}

export const RBAC: Record<Call['permission'], { action: string; role: string }> = {
  get: { action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', role: 'Key Vault Secrets User' },
  list: { action: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action', role: 'Key Vault Reader' },
  set: { action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action', role: 'Key Vault Secrets Officer' },
};

/** The parts of an SDK 4.11 RestError keyrot reads. It has no bodyAsText/parsedBody: Key Vault's own
 * error is deserialized into `details` (never for a list: "Pagination failed with unexpected statusCode N"). */
interface AzureError {
  name?: unknown;
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  details?: { error?: { code?: unknown; innerError?: { code?: unknown } } };
  response?: { headers?: { get?(name: string): string | undefined } };
}

/** The SDK's error, out of keyrot's retry wrapper. */
const sdkError = (e: unknown): AzureError | undefined => (e instanceof GaveUp ? e.error : e) as AzureError | undefined;

export const statusOf = (e: unknown): number | undefined => {
  const status = sdkError(e)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/** Key Vault's inner error code ("SecretDisabled", "ObjectIsDeletedButRecoverable", "ObjectIsBeingDeleted", "ForbiddenByRbac"). */
export function innerCode(e: unknown): string | undefined {
  const code = sdkError(e)?.details?.error?.innerError?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A version that exists but is disabled: Key Vault refuses to return its value. */
export const isDisabled = (e: unknown): boolean => statusOf(e) === 403 && innerCode(e) === 'SecretDisabled';

export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;

/** The name is held by a deleted secret that can be recovered or purged. */
const isSoftDeleted = (e: unknown): boolean => statusOf(e) === 409 && innerCode(e) === 'ObjectIsDeletedButRecoverable';

/** A delete or recover of that name is still going on (a few seconds): the name is taken until it ends. */
const isBeingDeleted = (e: unknown): boolean => statusOf(e) === 409 && innerCode(e) === 'ObjectIsBeingDeleted';

export const isThrottled = (e: unknown): boolean => statusOf(e) === 429;

const DROPPED = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Worth another attempt: throttled, a server error, or a dropped connection (never a timeout: the plan set it). */
export function isRetryable(e: unknown): boolean {
  const status = statusOf(e);
  if (status === 429) return (askedWaitMs(e) ?? 0) <= MAX_ASKED_WAIT_MS;
  if (status === 408) return true;
  if (status !== undefined) return status >= 500 && status !== 501 && status !== 505;
  const code = sdkError(e)?.code;
  return typeof code === 'string' && DROPPED.has(code);
}

/** A longer Retry-After is not waited for: the error says what Key Vault asked. */
export const MAX_ASKED_WAIT_MS = 60_000;

/** The wait Key Vault asked for, in ms: retry-after-ms, x-ms-retry-after-ms, or Retry-After (seconds or a date). */
export function askedWaitMs(e: unknown): number | undefined {
  const header = (h: string) => sdkError(e)?.response?.headers?.get?.(h) ?? undefined;
  for (const h of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = Number(header(h));
    if (header(h) !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  }
  const after = header('retry-after');
  if (after === undefined) return undefined;
  const seconds = Number(after);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(after) - Date.now();
  return Number.isFinite(ms) ? Math.max(ms, 0) : undefined;
}

const messageOf = (e: unknown): string => {
  const message = sdkError(e)?.message;
  return typeof message === 'string' ? message : '';
};

const nameOf = (e: unknown): string => {
  const name = sdkError(e)?.name;
  return typeof name === 'string' ? name : '';
};

/** A deleted secret still holds the name (soft-delete): Key Vault refuses a new one until it is recovered or purged. */
export function softDeleted(store: string, vaultUrl: string, name: string): KeyrotError {
  const vault = new URL(vaultUrl).hostname.split('.')[0];
  return new KeyrotError('secret-soft-deleted', {
    store,
    state: 'deleted but recoverable',
    fix: `recover it (\`az keyvault secret recover --vault-name ${vault} --name ${name}\`) or purge it (\`az keyvault secret purge --vault-name ${vault} --name ${name}\`)`,
  });
}

const TLS = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ERR_TLS|EPROTO/;

const firstLine = (text: string) => (text.split(/\r?\n/)[0] ?? '').slice(0, 300);

export function toKeyrotError(e: unknown, call: Call): KeyrotError {
  if (e instanceof KeyrotError) return e;
  const clean = (text: string) => mask(text, call.sensitive ?? []);
  const error = nameOf(e);
  if (error === 'CredentialUnavailableError' || error === 'AuthenticationError' || error === 'AggregateAuthenticationError') {
    return new KeyrotError('provider-auth-failed', {
      provider: call.store,
      reason: `DefaultAzureCredential got no token: ${clean(firstLine(messageOf(e)))}`,
      fix: 'sign in with `az login`, or set AZURE_CLIENT_ID and AZURE_TENANT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or run where a managed identity is assigned',
    });
  }
  // The per-request timeout aborts the request (the SDK does not retry an abort).
  if (error === 'AbortError' && call.timeoutMs !== undefined) {
    return new KeyrotError('provider-timeout', { provider: call.store, operation: call.operation, timeout: formatDuration(call.timeoutMs) });
  }
  const status = statusOf(e);
  if (status === 401) {
    return new KeyrotError('provider-auth-failed', {
      provider: call.store,
      reason: `Key Vault rejected the token (${clean(firstLine(messageOf(e)))})`,
      fix: 'check that the identity belongs to the vault\'s tenant (`az keyvault show`), then sign in again',
    });
  }
  if (status === 403 && !isDisabled(e)) {
    // Both forms name the caller: "Caller: appid=…;oid=…" (RBAC) or "The user, group or application '…'" (access policy).
    const text = messageOf(e);
    const caller = /Caller: ([^\r\n]+)/.exec(text)?.[1] ?? /application '([^']+)'/.exec(text)?.[1];
    return new KeyrotError('azure-denied', {
      store: call.store, operation: call.operation, permission: call.permission, vaultUrl: call.vaultUrl,
      caller: caller ? clean(caller).slice(0, 200) : undefined, ...RBAC[call.permission],
    });
  }
  if (isSoftDeleted(e)) return softDeleted(call.store, call.vaultUrl, call.name);
  if (isBeingDeleted(e)) return new KeyrotError('secret-being-deleted', { store: call.store, name: call.name });
  const attempts = e instanceof GaveUp ? e.attempts : 1;
  const tried = attempts > 1 ? ` (${attempts} attempts over ${formatDuration((e as GaveUp).elapsedMs)})` : '';
  if (status === 429) {
    const asked = askedWaitMs(e);
    const waited = e instanceof GaveUp && e.askedWaitMs !== undefined ? `, waiting at least the ${formatDuration(e.askedWaitMs)} it asked for` : '; Key Vault sent no Retry-After';
    const reason = asked !== undefined && asked > MAX_ASKED_WAIT_MS
      ? `throttled by Key Vault (HTTP 429), which asked to wait ${formatDuration(asked)}: longer than keyrot waits`
      : `throttled by Key Vault (HTTP 429) ${attempts > 1 ? `on all ${attempts} attempts over ${formatDuration((e as GaveUp).elapsedMs)}, backing off exponentially with jitter` : 'on the only attempt'}${waited}`;
    return new KeyrotError('provider-failed', { provider: call.store, operation: call.operation, reason });
  }
  if (status !== undefined) {
    const raw = sdkError(e)?.code;
    const code = typeof raw === 'string' ? `${raw}: ` : '';
    return new KeyrotError('provider-failed', { provider: call.store, operation: call.operation, reason: `HTTP ${status} ${clean(code + firstLine(messageOf(e)))}${tried}` });
  }
  // No HTTP answer: a network or TLS failure (RestError code is Node's), or a bug.
  const code = sdkError(e)?.code;
  const timeouts = { timeoutMs: call.timeoutMs ?? 0 };
  if (typeof code === 'string' && TLS.test(code)) {
    return new KeyrotError('provider-failed', { provider: call.store, operation: call.operation, reason: `the TLS connection to ${call.vaultUrl} failed (${code}); trust its CA with tls.caFile${tried}` });
  }
  if (noAnswerKind(sdkError(e), timeouts) !== undefined) {
    // What each attempt met: reset, refused, not found.
    const failures = e instanceof GaveUp ? e.failures : [e];
    const summary = attemptsSummary(failures, timeouts, e instanceof GaveUp ? e.elapsedMs : 0, (f) => `HTTP ${statusOf(f) ?? 'error'}`);
    return new KeyrotError('provider-failed', { provider: call.store, operation: call.operation, reason: `no answer from ${call.vaultUrl}: ${summary}` });
  }
  const reason = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? `cannot reach ${call.vaultUrl} (${code})` : clean(`${error || 'error'}: ${firstLine(messageOf(e))}`);
  return new KeyrotError('provider-failed', { provider: call.store, operation: call.operation, reason: reason + tried });
}
