// A database driver's failure as the KeyrotError a user can act on. Each driver's client sorts its own
// errors into these kinds; the reason is the driver's text passed through the output filter (every
// password, verifier and hash keyrot made is remembered as a secret), never a statement's text.
import { KeyrotError, reasonOf } from '../../../errors.js';
import { redact } from '../../../secrets/redact.js';
import { formatDuration } from '../../../shared/duration.js';

export type FailureKind = 'unreachable' | 'timeout' | 'auth' | 'denied' | 'missing' | 'other';

export interface Call {
  /** The issuer's label: "postgresql orders_blue/orders_green on db:5432". */
  provider: string;
  /** What keyrot was doing, in the server's words: "ALTER ROLE", "ACL SETUSER". */
  operation: string;
  /** Whom it was logged in as. */
  user: string;
  /** host:port */
  where: string;
  timeoutMs: number;
}

export function databaseError(kind: FailureKind, e: unknown, call: Call): KeyrotError {
  if (e instanceof KeyrotError) return e;
  const reason = redact(reasonOf(e)).replace(/\s+/g, ' ').trim();
  switch (kind) {
    case 'unreachable':
      return new KeyrotError('provider-failed', { provider: call.provider, operation: `connect to ${call.where}`, reason });
    case 'timeout':
      return new KeyrotError('provider-timeout', { provider: call.provider, operation: call.operation, timeout: formatDuration(call.timeoutMs) });
    case 'auth':
      return new KeyrotError('provider-auth-failed', {
        provider: call.provider, reason: `${call.user} at ${call.where}: ${reason}`,
        fix: `check the password of ${call.user} (source.admin.passwordEnv or passwordFile) and that it may log in from this host`,
      });
    case 'denied':
      return new KeyrotError('db-denied', { provider: call.provider, user: call.user, operation: call.operation, reason });
    case 'missing':
      return new KeyrotError('db-login-missing', { provider: call.provider, reason });
    default:
      return new KeyrotError('provider-failed', { provider: call.provider, operation: call.operation, reason });
  }
}
