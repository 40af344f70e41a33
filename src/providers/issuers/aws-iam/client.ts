// The only IAM and STS calls keyrot makes, each retried while AWS throttles.
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  type IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
  type AccessKeyLastUsed,
  type AccessKeyMetadata,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { awsRequestHandler } from '../../aws-request-handler.js';
import { type Backoff, type GaveUp, retrying } from '../../retry.js';
import type { CredentialSource } from './auth.js';
import { AwsCallError, awsCode, isThrottling, isTransient } from './errors.js';

export interface CallOptions {
  /** Progress worth showing: each retry. */
  note(message: string): void;
}

export interface ClientOptions extends CallOptions {
  region: string;
  endpoint?: string;
  credentials: CredentialSource;
  /** Per request (the SDK fails it with TimeoutError), and for the connection. */
  timeoutMs: number;
  connectTimeoutMs: number;
}

// The SDK warns on Node 20 that releases after January 2027 will need Node 22. keyrot pins its SDK
// and supports Node 20, so the warning would only be noise on every cron run's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BACKOFF: Backoff = { attempts: 6, firstDelayMs: 300, maxDelayMs: 5_000 };

// Our own retry instead of the SDK's: it reports each retry, and it never repeats a CreateAccessKey
// that may have reached AWS (a second key would be created and the first one's secret lost).
export async function attempt<T>(opts: CallOptions, action: string, call: () => Promise<T>, idempotent = true, signal?: AbortSignal): Promise<T> {
  try {
    return await retrying(call, {
      backoff: BACKOFF,
      retryable: idempotent ? isTransient : isThrottling,
      onRetry: (error, next) => opts.note(`${action}: ${awsCode(error) ?? 'network error'}, retrying (attempt ${next} of ${BACKOFF.attempts})`),
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    const gave = e as GaveUp;
    throw new AwsCallError(action, gave.error, gave.attempts, gave.failures, gave.elapsedMs);
  }
}

export const sdkConfig = (opts: Omit<ClientOptions, 'note'>) => ({
  region: opts.region,
  credentials: opts.credentials,
  maxAttempts: 1,
  requestHandler: awsRequestHandler(opts.timeoutMs, opts.connectTimeoutMs),
  ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
});

/**
 * One plan's calls, each through `client()`: the IAM client of the plan's identity at that moment,
 * shared with every plan of the same identity (identity.ts). Retries are reported to this plan.
 */
export function iamApi(opts: CallOptions, client: () => IAMClient) {
  return {
    /** Every page of ListAccessKeys. */
    async listAccessKeys(user: string): Promise<AccessKeyMetadata[]> {
      const keys: AccessKeyMetadata[] = [];
      let marker: string | undefined;
      do {
        const page = await attempt(opts, 'iam:ListAccessKeys', () =>
          client().send(new ListAccessKeysCommand({ UserName: user, ...(marker ? { Marker: marker } : {}) })),
        );
        keys.push(...(page.AccessKeyMetadata ?? []));
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
      return keys;
    },
    async createAccessKey(user: string) {
      const out = await attempt(opts, 'iam:CreateAccessKey', () => client().send(new CreateAccessKeyCommand({ UserName: user })), false);
      if (!out.AccessKey?.AccessKeyId || !out.AccessKey.SecretAccessKey) throw new AwsCallError('iam:CreateAccessKey', new Error('no key in the response'), 1);
      return out.AccessKey;
    },
    async updateAccessKey(user: string, keyId: string, status: 'Active' | 'Inactive'): Promise<void> {
      await attempt(opts, 'iam:UpdateAccessKey', () => client().send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: keyId, Status: status })));
    },
    async deleteAccessKey(user: string, keyId: string): Promise<void> {
      await attempt(opts, 'iam:DeleteAccessKey', () => client().send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: keyId })));
    },
    /** The IAM user of this account that holds an access key (GetAccessKeyLastUsed names it), or
     *  undefined when the account has no such key: one call, whichever user it belongs to. */
    async accessKeyHolder(keyId: string): Promise<string | undefined> {
      try {
        const out = await attempt(opts, 'iam:GetAccessKeyLastUsed', () => client().send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId })));
        return out.UserName;
      } catch (e) {
        if (awsCode(e) === 'NoSuchEntity') return undefined;
        throw e;
      }
    },
    async getAccessKeyLastUsed(keyId: string): Promise<AccessKeyLastUsed | undefined> {
      const out = await attempt(opts, 'iam:GetAccessKeyLastUsed', () => client().send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId })));
      return out.AccessKeyLastUsed;
    },
  };
}

/** As iamApi, for STS. */
export function stsApi(opts: CallOptions, client: () => STSClient) {
  return {
    /** `signal` ends the call and its retries at once (verify's overall deadline). */
    async callerIdentity(signal?: AbortSignal): Promise<{ arn: string; account: string }> {
      const out = await attempt(opts, 'sts:GetCallerIdentity', () => client().send(new GetCallerIdentityCommand({}), signal ? { abortSignal: signal } : {}), true, signal);
      return { arn: out.Arn ?? '', account: out.Account ?? '' };
    },
  };
}

export type IamApi = ReturnType<typeof iamApi>;
export type StsApi = ReturnType<typeof stsApi>;
