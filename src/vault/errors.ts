// node-vault and axios errors -> KeyrotErrors. Both carry the request: an AxiosError holds
// config.data, the JSON body with the secret in it. So we never rethrow, wrap (`cause`) or log
// them: we read the HTTP status, Vault's own error strings or the network code, and build our
// own message, with every value we sent masked.
import { KeyrotError } from '../errors.js';
import { formatDuration } from '../shared/duration.js';
import { mask } from '../secrets/mask.js';

/** How the current token was obtained, to explain an expired one. */
export interface Session {
  source: string;
  fix: string;
  /** The token could look itself up (auth/token/lookup-self) right after login: a later 403 from
   *  that same call means the token expired or was revoked, not that a policy is missing. */
  selfLookup: boolean;
}

export interface Call {
  /** The store label: "vault secret/payments/aws". */
  provider: string;
  address: string;
  mount: string;
  /** What keyrot was doing: "write the secret". */
  operation: string;
  /** The ACL path: "secret/data/payments/aws". */
  path: string;
  /** The policy capability that path needs: "read", "create/update". */
  capability: string;
  timeoutMs: number;
  session?: Session;
  /** Values sent with the request that must never be shown (secret, login ids). */
  sensitive?: string[];
}

/** The HTTP status of a Vault answer that node-vault turned into an error. */
export function vaultStatus(e: unknown): number | undefined {
  const status = (e as { response?: { statusCode?: unknown } } | undefined)?.response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Vault's `{"errors": [...]}` strings, or [] when the body has none. */
export function vaultErrors(e: unknown): string[] {
  const errors = (e as { response?: { body?: { errors?: unknown } } } | undefined)?.response?.body?.errors;
  return Array.isArray(errors) ? errors.filter((m): m is string => typeof m === 'string') : [];
}

/** The body of a Vault error answer (a 404 for a deleted version still carries its metadata). */
export const vaultBody = (e: unknown): unknown => (e as { response?: { body?: unknown } } | undefined)?.response?.body;

export const isCasMismatch = (e: unknown): boolean =>
  vaultStatus(e) === 400 && vaultErrors(e).some((m) => m.includes('check-and-set parameter did not match'));

export const isInvalidToken = (e: unknown): boolean => vaultStatus(e) === 403 && vaultErrors(e).some((m) => /invalid token/i.test(m));

/** Vault's error text on one line ("1 error occurred:\n\t* permission denied" -> "permission denied"), masked. */
export function vaultReason(e: unknown, sensitive: string[] = []): string {
  const text = vaultErrors(e)
    .join('; ')
    .replace(/\d+ errors? occurred:/g, '')
    .replace(/\s*\n\s*\*?\s*/g, '; ')
    .replace(/^[;\s]+|[;\s]+$/g, '');
  return mask(text, sensitive).slice(0, 300);
}

const TLS = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ERR_TLS|EPROTO/;

function networkReason(code: string, address: string): string {
  if (code === 'ECONNREFUSED') return `cannot connect to ${address} (connection refused)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the host of ${address} (${code})`;
  if (TLS.test(code)) return `the TLS connection to ${address} failed (${code}); trust its CA with tls.caFile or VAULT_CACERT`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `the connection to ${address} was reset before Vault answered (${code})`;
  return `network error talking to ${address} (${code})`;
}

export const tokenGoneReason = (session: Pick<Session, 'source'> | undefined): string =>
  `token expired or revoked: log in again (the token from ${session?.source ?? 'the configured auth'} does not pass auth/token/lookup-self)`;

/** Vault said "permission denied" because the token itself is no longer valid. */
export function tokenGone(provider: string, session: Session | undefined): KeyrotError {
  return new KeyrotError('provider-auth-failed', { provider, reason: tokenGoneReason(session), fix: session?.fix ?? 'get a fresh token (`vault login`)' });
}

export function toKeyrotError(e: unknown, call: Call): KeyrotError {
  if (e instanceof KeyrotError) return e;
  const status = vaultStatus(e);
  if (status !== undefined) {
    const reason = vaultReason(e, call.sensitive);
    if (status === 503 && /sealed/i.test(reason)) return new KeyrotError('vault-sealed', { address: call.address });
    if (isInvalidToken(e)) return tokenGone(call.provider, call.session);
    if (status === 403) {
      return new KeyrotError('provider-denied', { provider: call.provider, operation: call.operation, capability: call.capability, path: call.path });
    }
    if (status === 404 && /no handler for route/i.test(reason)) {
      return new KeyrotError('vault-mount-missing', { address: call.address, mount: call.mount, reason: 'nothing is mounted there' });
    }
    return new KeyrotError('provider-failed', { provider: call.provider, operation: call.operation, reason: `HTTP ${status}${reason ? `: ${reason}` : ''}` });
  }
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return new KeyrotError('provider-timeout', { provider: call.provider, operation: call.operation, timeout: formatDuration(call.timeoutMs) });
  }
  // Not an HTTP answer: a network failure, or a bug. An Error's own message (never its request) is safe to show masked.
  const reason =
    typeof code === 'string'
      ? networkReason(code, call.address)
      : mask(e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e), call.sensitive ?? []).slice(0, 300);
  return new KeyrotError('provider-failed', { provider: call.provider, operation: call.operation, reason });
}
