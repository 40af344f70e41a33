// Azure SDK errors -> KeyrotErrors. A RestError carries the request, whose body holds the secret
// on a write: so we never rethrow, wrap (`cause`) or log one. We read its status, Key Vault's own
// error code and message (which name the caller and the permission, never a value), and build our
// own message, masked anyway.
import { KeyrotError } from '../../../errors.js';
import { formatDuration } from '../../../plan/duration.js';
import { mask } from '../../../secrets/mask.js';

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

interface AzureError {
  name?: unknown;
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  response?: { bodyAsText?: unknown; parsedBody?: unknown };
}

export const statusOf = (e: unknown): number | undefined => {
  const status = (e as AzureError | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/** Key Vault's inner error code ("SecretDisabled", "ObjectIsDeletedButRecoverable", "ForbiddenByRbac"). */
export function innerCode(e: unknown): string | undefined {
  const response = (e as AzureError | undefined)?.response;
  const parsed = response?.parsedBody as { error?: { innerError?: { code?: unknown } } } | undefined;
  let code = parsed?.error?.innerError?.code;
  if (code === undefined && typeof response?.bodyAsText === 'string') {
    try {
      code = (JSON.parse(response.bodyAsText) as { error?: { innererror?: { code?: unknown } } }).error?.innererror?.code;
    } catch {
      // not JSON: no inner code
    }
  }
  return typeof code === 'string' ? code : undefined;
}

/** A version that exists but is disabled: Key Vault refuses to return its value. */
export const isDisabled = (e: unknown): boolean =>
  statusOf(e) === 403 && (innerCode(e) === 'SecretDisabled' || /disabled secret/i.test(messageOf(e)));

export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;

const isSoftDeleted = (e: unknown): boolean =>
  statusOf(e) === 409 && (innerCode(e) === 'ObjectIsDeletedButRecoverable' || /deleted but recoverable/i.test(messageOf(e)));

const messageOf = (e: unknown): string => {
  const message = (e as AzureError | undefined)?.message;
  return typeof message === 'string' ? message : '';
};

const nameOf = (e: unknown): string => {
  const name = (e as AzureError | undefined)?.name;
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
  if (status === 429) {
    return new KeyrotError('provider-failed', { provider: call.store, operation: call.operation, reason: 'throttled by Key Vault (HTTP 429) after retries' });
  }
  if (status !== undefined) {
    const code = typeof (e as AzureError).code === 'string' ? `${String((e as AzureError).code)}: ` : '';
    return new KeyrotError('provider-failed', { provider: call.store, operation: call.operation, reason: `HTTP ${status} ${clean(code + firstLine(messageOf(e)))}` });
  }
  // No HTTP answer: a network or TLS failure (RestError code is Node's), or a bug.
  const code = (e as AzureError | undefined)?.code;
  const reason =
    typeof code === 'string' && TLS.test(code)
      ? `the TLS connection to ${call.vaultUrl} failed (${code}); trust its CA with tls.caFile`
      : typeof code === 'string' && /^E[A-Z]+$/.test(code)
        ? `cannot reach ${call.vaultUrl} (${code})`
        : clean(`${error || 'error'}: ${firstLine(messageOf(e))}`);
  return new KeyrotError('provider-failed', { provider: call.store, operation: call.operation, reason });
}
