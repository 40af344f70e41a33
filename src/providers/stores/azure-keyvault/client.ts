// The only Key Vault calls keyrot makes, over one SecretClient per target. Each call names the
// permission it needs, so a refusal says what to grant.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient, type SecretProperties } from '@azure/keyvault-secrets';
import { KeyrotError } from '../../../errors.js';
import type { ProviderContext } from '../../types.js';
import { type Call, isDisabled, isNotFound, statusOf, toKeyrotError } from './errors.js';
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
  /** Every version's properties (no values), newest first. */
  versions(): Promise<Version[]>;
  /** Whether a deleted (recoverable) secret holds the name; false when keyrot may not look. */
  isSoftDeleted(): Promise<boolean>;
  set(value: string, options: NewVersion, sensitive: string[]): Promise<Version>;
  setEnabled(version: string, enabled: boolean): Promise<void>;
}

/** For tests: a credential instead of DefaultAzureCredential. */
export interface Seam {
  credential?: TokenCredential;
}

const versionOf = (p: SecretProperties, value?: string): Version => ({
  id: p.version ?? '',
  enabled: p.enabled !== false,
  tags: p.tags ?? {},
  createdOn: p.createdOn,
  ...(value !== undefined ? { value } : {}),
});

export function connect(config: AzureKeyVaultStoreConfig, ctx: ProviderContext, store: string, seam: Seam = {}): Secrets {
  let ca: Buffer | undefined;
  if (config.tls?.caFile) {
    const file = path.resolve(ctx.planDir, config.tls.caFile);
    try {
      ca = readFileSync(file);
    } catch (e) {
      throw new KeyrotError('usage', { problem: `cannot read the Key Vault CA file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
  const client = new SecretClient(config.vaultUrl, seam.credential ?? new DefaultAzureCredential(), {
    serviceVersion: '7.6', // pinned: the API keyrot is written and tested against
    disableChallengeResourceVerification: config.disableChallengeResourceVerification,
    retryOptions: { maxRetries: 4 }, // the SDK retries 429 (honouring Retry-After), 5xx and network errors
    ...(ca ? { tlsOptions: { ca } } : {}), // this client only: never the process-wide trust store
  });
  const { name, vaultUrl } = config;
  const call = (operation: string, permission: Call['permission'], sensitive?: string[]): Call => ({
    store, vaultUrl, name, operation, permission, sensitive, timeoutMs: config.timeout,
  });
  const options = { requestOptions: { timeout: config.timeout } };

  async function versions(): Promise<Version[]> {
    const found: Version[] = [];
    try {
      for await (const p of client.listPropertiesOfSecretVersions(name, options)) found.push(versionOf(p));
    } catch (e) {
      if (isNotFound(e)) return [];
      throw toKeyrotError(e, call('list the versions of the secret', 'list'));
    }
    // Newest first; `created` has one-second resolution, so among equals the one listed last wins.
    return found.reverse().sort((a, b) => (b.createdOn?.getTime() ?? 0) - (a.createdOn?.getTime() ?? 0));
  }

  return {
    versions,

    async latest() {
      try {
        const secret = await client.getSecret(name, options);
        return versionOf(secret.properties, secret.value);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        // Key Vault will not say which version is latest when it is disabled: the newest one listed is.
        if (isDisabled(e)) return (await versions())[0];
        throw toKeyrotError(e, call('read the secret', 'get'));
      }
    },

    async isSoftDeleted() {
      try {
        await client.getDeletedSecret(name, options);
        return true;
      } catch (e) {
        const status = statusOf(e);
        if (status === 404 || status === 403) return false; // gone, or not ours to see: publish will tell
        throw toKeyrotError(e, call('look for a deleted secret of that name', 'list'));
      }
    },

    async set(value, opts, sensitive) {
      try {
        const secret = await client.setSecret(name, value, { enabled: true, ...options, ...opts });
        return versionOf(secret.properties);
      } catch (e) {
        throw toKeyrotError(e, call('write a new version', 'set', sensitive));
      }
    },

    async setEnabled(version, enabled) {
      try {
        await client.updateSecretProperties(name, version, { enabled, ...options });
      } catch (e) {
        throw toKeyrotError(e, call(`${enabled ? 'enable' : 'disable'} version ${version}`, 'set'));
      }
    },
  };
}
