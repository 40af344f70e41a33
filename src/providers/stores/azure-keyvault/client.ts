// The only Key Vault calls keyrot makes, over one SecretClient per target. Each call names the
// permission it needs, so a refusal says what to grant.
//
// Retries are keyrot's own (src/providers/retry.ts), not the SDK's: Key Vault throttles with 429
// usually without Retry-After, and @azure/keyvault-secrets 4.11 then does not retry at all.
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient, type SecretProperties } from '@azure/keyvault-secrets';
import { KeyrotError } from '../../../errors.js';
import { readCaFile } from '../../../ca-file.js';
import { type Backoff, retrying } from '../../retry.js';
import type { ProviderContext } from '../../types.js';
import { type Call, askedWaitMs, isDisabled, isNotFound, isRetryable, isThrottled, statusOf, toKeyrotError } from './errors.js';
import type { AzureKeyVaultStoreConfig } from './schema.js';

export interface Version {
  id: string;
  enabled: boolean;
  tags: Record<string, string>;
  createdOn?: Date;
  /** Only when read with its value (and never for a disabled version). */
  value?: string;
}

export interface NewVersion {
  tags: Record<string, string>;
  contentType?: string;
  expiresOn?: Date;
}

export interface Secrets {
  /** The latest version (what consumers read), without a value when it is disabled; undefined if there is none. */
  latest(): Promise<Version | undefined>;
  /** Every version's properties (no values), in no particular order: never rely on the order Key Vault lists them in. */
  versions(): Promise<Version[]>;
  /** Whether a deleted (recoverable) secret holds the name; false when keyrot may not look. */
  isSoftDeleted(): Promise<boolean>;
  set(value: string, options: NewVersion, sensitive: string[]): Promise<Version>;
  /** Enable or disable one version, named by its id: never the latest by omission. */
  setEnabled(version: string, enabled: boolean): Promise<void>;
}

/** For tests: a credential instead of DefaultAzureCredential, and a shorter backoff. */
export interface Seam {
  credential?: TokenCredential;
  backoff?: Backoff;
}

/**
 * Key Vault's guidance for throttling is exponential backoff; 6 attempts from 0.5s, doubling with
 * jitter up to 8s apart, try for roughly 15-25s in all before the error says how long it tried.
 */
export const KEY_VAULT_BACKOFF: Backoff = { attempts: 6, firstDelayMs: 500, maxDelayMs: 8_000 };

const versionOf = (p: SecretProperties, value?: string): Version => ({
  id: p.version ?? '',
  enabled: p.enabled !== false,
  tags: p.tags ?? {},
  createdOn: p.createdOn,
  ...(value !== undefined ? { value } : {}),
});

/**
 * The latest version when Key Vault will not say which one it is (GET answers 403 SecretDisabled):
 * a disabled one, the newest by `created`. Key Vault lists versions by version id, not by time, and
 * `created` has one-second resolution, so two disabled versions of the same second are told apart by
 * the highest version id: an explicit rule, never the order of the list.
 */
export function latestDisabled(versions: Version[]): Version | undefined {
  const created = (v: Version) => v.createdOn?.getTime() ?? 0;
  return versions
    .filter((v) => !v.enabled)
    .reduce<Version | undefined>((best, v) => {
      if (!best || created(v) > created(best)) return v;
      return created(v) === created(best) && v.id.toUpperCase() > best.id.toUpperCase() ? v : best;
    }, undefined);
}

/** What each SDK call is given: the SDK's per-request timeout, and the deadline over the whole call. */
interface CallOptions {
  requestOptions: { timeout: number };
  abortSignal: AbortSignal;
}

/** `run` with a deadline of `ms` over all of it; past it, the SDK's own AbortError (a timeout, not retried). */
async function withinTimeout<T>(ms: number, run: (options: CallOptions) => Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(ms);
  try {
    return await run({ requestOptions: { timeout: ms }, abortSignal: deadline });
  } catch (e) {
    // Cut off while reading the body, the SDK reports a broken stream: it was the deadline.
    if (deadline.aborted) throw Object.assign(new Error(`no complete answer within ${ms} ms`), { name: 'AbortError' });
    throw e;
  }
}

function secretClient(config: AzureKeyVaultStoreConfig, ctx: ProviderContext, store: string, seam: Seam): SecretClient {
  const ca = config.tls?.caFile ? readCaFile(ctx.planDir, config.tls.caFile, store) : undefined;
  return new SecretClient(config.vaultUrl, seam.credential ?? new DefaultAzureCredential(), {
    serviceVersion: '7.6', // pinned: the API keyrot is written and tested against
    disableChallengeResourceVerification: config.disableChallengeResourceVerification,
    retryOptions: { maxRetries: 0 }, // keyrot retries itself (see `attempt` in connect)
    ...(ca ? { tlsOptions: { ca } } : {}), // this client only: never the process-wide trust store
  });
}

export function connect(config: AzureKeyVaultStoreConfig, ctx: ProviderContext, store: string, seam: Seam = {}): Secrets {
  const client = secretClient(config, ctx, store, seam);
  const { name, vaultUrl } = config;
  const call = (operation: string, permission: Call['permission'], sensitive?: string[]): Call => ({
    store, vaultUrl, name, operation, permission, sensitive, timeoutMs: config.timeout,
  });
  /**
   * One Key Vault call, retried with backoff while Key Vault throttles (honouring a Retry-After), and,
   * where repeating it cannot add anything (`idempotent`), on 5xx and dropped connections. Each attempt
   * is bounded whole by `timeout`: the SDK's own timeout ends when the headers arrive, and the body
   * is read under nothing but the abort signal, which the deadline fires.
   */
  const attempt = <T>(operation: string, run: (options: CallOptions) => Promise<T>, idempotent = true): Promise<T> =>
    retrying(() => withinTimeout(config.timeout, run), {
      backoff: seam.backoff ?? KEY_VAULT_BACKOFF,
      retryable: (e) => isRetryable(e) && (idempotent || isThrottled(e)),
      askedWaitMs,
      onRetry: (e, next) => ctx.note(`${store}: ${operation}: ${isThrottled(e) ? 'throttled (HTTP 429)' : `HTTP ${statusOf(e) ?? 'error'}`}, retrying (attempt ${next} of ${(seam.backoff ?? KEY_VAULT_BACKOFF).attempts})`),
    });

  async function versions(): Promise<Version[]> {
    const operation = 'list the versions of the secret';
    try {
      return await attempt(operation, async (options) => {
        const found: Version[] = [];
        for await (const p of client.listPropertiesOfSecretVersions(name, options)) found.push(versionOf(p));
        return found;
      });
    } catch (e) {
      if (isNotFound(e)) return []; // Key Vault answers 200 with no versions; a 404 means the same
      throw toKeyrotError(e, call(operation, 'list'));
    }
  }

  return {
    versions,

    async latest() {
      const operation = 'read the secret';
      try {
        const secret = await attempt(operation, (options) => client.getSecret(name, options));
        return versionOf(secret.properties, secret.value);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        if (isDisabled(e)) return latestDisabled(await versions());
        throw toKeyrotError(e, call(operation, 'get'));
      }
    },

    async isSoftDeleted() {
      const operation = 'look for a deleted secret of that name';
      try {
        await attempt(operation, (options) => client.getDeletedSecret(name, options));
        return true;
      } catch (e) {
        const status = statusOf(e);
        if (status === 404 || status === 403) return false; // gone, or not ours to see: publish will tell
        throw toKeyrotError(e, call(operation, 'list'));
      }
    },

    async set(value, opts, sensitive) {
      const operation = 'write a new version';
      try {
        // Not repeated on 5xx or a dropped connection: the first request may have written a version.
        const secret = await attempt(operation, (options) => client.setSecret(name, value, { enabled: true, ...options, ...opts }), false);
        return versionOf(secret.properties);
      } catch (e) {
        throw toKeyrotError(e, call(operation, 'set', sensitive));
      }
    },

    async setEnabled(version, enabled) {
      const operation = `${enabled ? 'enable' : 'disable'} version ${version}`;
      // PATCH /secrets/{name}/ with no version is accepted, and changes the latest version: the one
      // consumers read. keyrot only ever means one version it found by its tags.
      if (!version.trim()) {
        throw new KeyrotError('invariant', {
          phase: `${store} ${operation}`,
          reason: 'refusing to update a Key Vault secret without a version id: Key Vault would change its latest version, the one consumers read',
        });
      }
      try {
        await attempt(operation, (options) => client.updateSecretProperties(name, version, { enabled, ...options }));
      } catch (e) {
        throw toKeyrotError(e, call(operation, 'set'));
      }
    },
  };
}
