// The only GitHub REST calls keyrot makes for one Actions secret: its level's public key, the secret's
// metadata (GitHub never returns a value), the secret's write, and the Actions variable beside it where
// keyrot records what it wrote. Every failure becomes a KeyrotError naming the target and the call.
import { KeyrotError } from '../../../errors.js';
import { type RateLimit, rest, type Reply } from '../rest.js';
import { storeFailure, tokenFrom } from '../rest-failure.js';
import { type GithubActionsStoreConfig, markerName } from './schema.js';

export interface SecretMeta {
  createdAt: string;
  /** GitHub's clock, to the second: "2024-05-01T10:00:00Z". */
  updatedAt: string;
}

export interface GithubApi {
  /** "repository acme/api", "environment production of acme/api", "organization acme". */
  readonly where: string;
  publicKey(): Promise<{ keyId: string; key: string }>;
  secret(): Promise<SecretMeta | undefined>;
  putSecret(sealed: string, keyId: string): Promise<void>;
  /** The marker variable's value, or undefined when there is none. */
  marker(): Promise<string | undefined>;
  setMarker(value: string, exists: boolean): Promise<void>;
  /** The classic token's scopes (X-OAuth-Scopes) from the last answer; undefined for fine-grained and App tokens. */
  scopes(): string[] | undefined;
}

/** Primary limit: 403 or 429 with x-ratelimit-remaining 0 until x-ratelimit-reset (epoch seconds); secondary: retry-after. */
export function githubRateLimit(status: number, headers: Headers, now: number): RateLimit | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = headers.get('retry-after');
  if (retryAfter && /^\d+$/.test(retryAfter)) return { until: new Date(now + Number(retryAfter) * 1000) };
  const reset = headers.get('x-ratelimit-reset');
  if (headers.get('x-ratelimit-remaining') === '0' && reset && /^\d+$/.test(reset)) return { until: new Date(Number(reset) * 1000) };
  return status === 429 ? { until: new Date(now + 60_000) } : undefined;
}

const said = (reply: Reply | undefined) => {
  const message = (reply?.json as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message.slice(0, 200) : 'no message';
};

export function githubApi(config: GithubActionsStoreConfig, ctx: { env: NodeJS.ProcessEnv; note(m: string): void }, store: string): GithubApi {
  const base = config.organization
    ? `/orgs/${config.organization}/actions`
    : config.environment
      ? `/repos/${config.repository}/environments/${encodeURIComponent(config.environment)}`
      : `/repos/${config.repository}/actions`;
  const where = config.organization
    ? `organization ${config.organization}`
    : config.environment ? `environment ${config.environment} of ${config.repository}` : `repository ${config.repository}`;
  const fields = config.organization ? '`organization`' : config.environment ? '`repository` and `environment`' : '`repository`';
  const needs = config.organization
    ? 'the organization permissions Secrets (write) and Variables (write) (a classic token: admin:org)'
    : config.environment
      ? 'the repository permission Environments (write) (a classic token: repo)'
      : 'the repository permissions Secrets (write) and Variables (write) (a classic token: repo)';
  let lastScopes: string[] | undefined;

  const token = () => tokenFrom(ctx.env, config.tokenEnv, store, 'GitHub', 'GitHub Actions secrets');
  const restConfig = {
    baseUrl: config.apiUrl.replace(/\/+$/, ''),
    headers: () => ({ authorization: `Bearer ${token()}`, 'x-github-api-version': '2022-11-28', accept: 'application/vnd.github+json', 'user-agent': 'keyrot' }),
    timeoutMs: config.timeout,
    maxRetryWaitMs: config.maxRetryWait,
    rateLimit: githubRateLimit,
    note: ctx.note,
  };

  async function send(method: string, path: string, options: { body?: unknown; accept?: number[] } = {}): Promise<Reply> {
    try {
      const reply = await rest(restConfig, method, path, options);
      const scopes = reply.headers.get('x-oauth-scopes');
      lastScopes = scopes === null ? undefined : scopes.split(',').map((s) => s.trim()).filter(Boolean);
      return reply;
    } catch (e) {
      throw storeFailure(e, `${method} ${path}`, { store, vendor: 'GitHub', tokenEnv: config.tokenEnv, where, fields, needs, said });
    }
  }

  async function publicKey() {
    const { json } = await send('GET', `${base}/secrets/public-key`);
    const { key_id: keyId, key } = (json ?? {}) as { key_id?: unknown; key?: unknown };
    if (typeof keyId !== 'string' || typeof key !== 'string') throw new KeyrotError('provider-failed', { provider: store, operation: `GET ${base}/secrets/public-key`, reason: 'GitHub answered no key_id and key' });
    return { keyId, key };
  }

  const marker = markerName(config.name);
  return {
    where,
    publicKey,
    async secret() {
      const reply = await send('GET', `${base}/secrets/${config.name}`, { accept: [404] });
      if (reply.status === 404) {
        await publicKey(); // a missing secret, or a missing repository? The public key tells (its 404 throws).
        return undefined;
      }
      const { created_at: createdAt, updated_at: updatedAt } = reply.json as { created_at: string; updated_at: string };
      return { createdAt, updatedAt };
    },
    async putSecret(sealed, keyId) {
      const visibility = config.organization ? { visibility: config.visibility ?? 'private' } : {};
      await send('PUT', `${base}/secrets/${config.name}`, { body: { encrypted_value: sealed, key_id: keyId, ...visibility } });
    },
    async marker() {
      const reply = await send('GET', `${base}/variables/${marker}`, { accept: [404] });
      const value = (reply.json as { value?: unknown } | undefined)?.value;
      return reply.status === 404 || typeof value !== 'string' ? undefined : value;
    },
    async setMarker(value, exists) {
      const visibility = config.organization ? { visibility: config.visibility ?? 'private' } : {};
      // A create retried after a lost answer finds the variable there (409): update it then.
      const created = exists ? undefined : await send('POST', `${base}/variables`, { body: { name: marker, value, ...visibility }, accept: [409] });
      if (exists || created?.status === 409) await send('PATCH', `${base}/variables/${marker}`, { body: { name: marker, value } });
    },
    scopes: () => lastScopes,
  };
}
