// Prove a new access key authenticates as the plan's user: STS GetCallerIdentity signed with that key.
// IAM is eventually consistent, so a key a few seconds old may still be unknown to STS.
import { STSClient } from '@aws-sdk/client-sts';
import pRetry from 'p-retry';
import { KeyrotError } from '../../../errors.js';
import { formatDuration } from '../../../shared/duration.js';
import type { Credential } from '../../types.js';
import { sdkConfig, stsApi } from './client.js';
import { awsCode, toKeyrotError, type CallContext } from './errors.js';

export interface VerifyOptions {
  user: string;
  region: string;
  endpoint?: string;
  /** The whole verify, retries and hung requests included. */
  verifyTimeoutMs: number;
  /** Each request, and its connection. */
  timeoutMs: number;
  connectTimeoutMs: number;
  call: CallContext;
  note(message: string): void;
}

/** STS says this while the new key has not reached it yet. */
const NOT_YET = 'InvalidClientTokenId';
/** STS answers that mean the key does not authenticate (as opposed to STS being unreachable). */
const REJECTED = new Set([NOT_YET, 'SignatureDoesNotMatch', 'ExpiredToken', 'AccessDenied', 'UnrecognizedClient', 'AuthFailure']);

/** arn:aws:iam::123456789012:user/some/path/NAME -> true when NAME is the plan's user. */
export const isUserArn = (arn: string, user: string) => /^arn:aws[\w-]*:iam::\d{12}:user\//.test(arn) && arn.endsWith(`/${user}`);

export async function verifyCredential(credential: Credential, opts: VerifyOptions): Promise<void> {
  // A client of its own, signed with the new key only: never the chain's credentials.
  // It sends over the process's shared keep-alive pool (sdkConfig), never through a shared client; it is
  // left to the garbage collector, not destroyed (that would close the shared pool).
  const client = new STSClient(
    sdkConfig({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      credentials: { accessKeyId: credential.keyId, secretAccessKey: credential.secret },
      timeoutMs: opts.timeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs,
    }),
  );
  const sts = stsApi({ note: opts.note }, () => client);
  const limit = opts.verifyTimeoutMs;
  const started = performance.now();
  const firstDelay = Math.min(1_000, Math.max(10, limit / 60));
  // verifyTimeout bounds the whole verify: a request hanging on a frozen endpoint is cut off too.
  const deadline = AbortSignal.timeout(limit);
  let attempts = 0;
  let last: unknown;
  let identity: { arn: string };
  try {
    identity = await pRetry(
      () => {
        attempts += 1;
        return sts.callerIdentity(deadline);
      },
      {
        signal: deadline,
        retries: Number.POSITIVE_INFINITY,
        maxRetryTime: limit,
        minTimeout: firstDelay,
        maxTimeout: firstDelay * 8,
        shouldRetry: ({ error }) => awsCode(error) === NOT_YET,
        onFailedAttempt: ({ error, attemptNumber }) => {
          if (!deadline.aborted) last = error; // not the abort of the request the deadline cut off
          const elapsed = performance.now() - started;
          if (awsCode(error) === NOT_YET && elapsed < limit) {
            opts.note(
              `verify: STS does not know key ${credential.keyId} yet (${NOT_YET}, attempt ${attemptNumber}, ` +
                `${formatDuration(elapsed)} of ${formatDuration(limit)}); retrying`,
            );
          }
        },
      },
    );
  } catch (thrown) {
    // Out of time while STS still said "not yet": the key did not authenticate in time.
    const e = deadline.aborted && awsCode(last) === NOT_YET ? last : thrown;
    if (deadline.aborted && e === thrown) {
      throw new KeyrotError('provider-timeout', {
        provider: opts.call.issuer, operation: `verify (${opts.call.action}, ${attempts} attempt${attempts === 1 ? '' : 's'})`,
        timeout: `verifyTimeout ${formatDuration(limit)}`, setting: 'verifyTimeout',
      });
    }
    const code = awsCode(e);
    if (!code || !REJECTED.has(code)) throw toKeyrotError(e, opts.call);
    const reason =
      code === NOT_YET
        ? `STS still answers ${NOT_YET} after ${formatDuration(performance.now() - started)} (${attempts} attempts)`
        : `STS answers ${code}`;
    throw new KeyrotError('verify-failed', { keyId: credential.keyId, reason });
  }
  if (!isUserArn(identity.arn, opts.user)) {
    throw new KeyrotError('verify-failed', { keyId: credential.keyId, reason: `it authenticates as ${identity.arn}, not as IAM user ${opts.user}` });
  }
}
