// A CI store's failed call (rest.ts) as the KeyrotError a user can act on, in the target's own words:
// the rate limit and until when, a refused token, what the token may not do and what to grant, what
// does not exist and which plan fields name it; and the token the call needs. Shared by github-actions
// and gitlab-ci.
import { KeyrotError } from '../../errors.js';
import { rememberSecret } from '../../secrets/redact.js';
import { RestFailure, type Reply } from './rest.js';

/** The token in `env[name]`, remembered as a secret; a missing one is a login failure saying where to put it. */
export function tokenFrom(env: NodeJS.ProcessEnv, name: string, store: string, vendor: string, readmeSection: string): string {
  const value = env[name];
  if (!value) throw new KeyrotError('provider-auth-failed', { provider: store, reason: `${name} is not set`, fix: `put a ${vendor} token in ${name} (README, "${readmeSection}", lists what it needs)` });
  rememberSecret(value);
  return value;
}

export interface FailureTarget {
  store: string;
  /** "GitHub", "GitLab". */
  vendor: string;
  tokenEnv: string;
  /** What a 404 says does not exist, the plan fields that name it, and what a 403 says to grant. */
  where: string;
  fields: string;
  needs: string;
  /** The vendor's own words in an error answer, short; never a secret keyrot sent. */
  said(reply: Reply | undefined): string;
}

export function storeFailure(e: unknown, call: string, t: FailureTarget): unknown {
  if (!(e instanceof RestFailure)) return e;
  const status = e.reply?.status;
  const said = t.said(e.reply);
  const common = { store: t.store, vendor: t.vendor, call, tokenEnv: t.tokenEnv, status, said };
  if (e.rateLimit) return new KeyrotError('store-rate-limited', { ...common, until: e.rateLimit.until.toISOString() });
  if (status === 401) return new KeyrotError('provider-auth-failed', { provider: t.store, reason: `${t.vendor} refused the token in ${t.tokenEnv} (401: ${said})`, fix: `put a valid token in ${t.tokenEnv}` });
  if (status === 403) return new KeyrotError('store-denied', { ...common, needs: t.needs });
  if (status === 404) return new KeyrotError('store-target-missing', { ...common, what: t.where, fields: t.fields });
  if (!e.reply) return new KeyrotError('provider-failed', { provider: t.store, operation: call, reason: e.reason });
  return new KeyrotError('provider-failed', { provider: t.store, operation: call, reason: `${t.vendor} answered ${status}: ${said}` });
}
