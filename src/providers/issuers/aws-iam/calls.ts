// How one plan's aws-iam issuer calls AWS: through its identity's shared clients (identity.ts) with this
// plan's retry notes, each failure turned into a KeyrotError that names the call, the user and the chain.
import { isKeyrotError, KeyrotError } from '../../../errors.js';
import type { ProviderContext } from '../../types.js';
import { iamApi, stsApi, type CallOptions, type IamApi, type StsApi } from './client.js';
import { toKeyrotError, type CallContext } from './errors.js';
import { sharedIdentity, type AwsIdentity } from './identity.js';
import { awsIamIdentityKey } from './owner.js';
import type { AwsIamIssuerConfig } from './schema.js';

export interface PlanCalls {
  /** "aws-iam user NAME", as every message names the issuer. */
  label: string;
  /** The identity's key (owner.ts): it digests the environment, so the plan's owner reuses it. */
  identityKey: string;
  identity(): AwsIdentity;
  callOptions: CallOptions;
  iam: IamApi;
  sts: StsApi;
  callContext(action: string, keyId?: string): CallContext;
  /** Runs `fn`; every failure becomes a KeyrotError, and a missing user also names the account we looked in. */
  guard<T>(action: string, keyId: string | undefined, fn: () => Promise<T>): Promise<T>;
}

export function planCalls(config: AwsIamIssuerConfig, ctx: ProviderContext, key = awsIamIdentityKey(config, ctx.env)): PlanCalls {
  const { user, endpoint } = config;
  const label = `aws-iam user ${user}`;
  // The SDK clients and credential chain are shared with every plan of the same identity, looked up at
  // each call (the chain reads the environment at its first call, as before); retry notes stay this plan's.
  // The identity's key (it digests the environment) is computed once per plan, not at each of a
  // rotation's six calls; the client is looked up by it at each (resetAwsClients then builds a new one).
  const identity = () => sharedIdentity(config, ctx.env, key);
  const callOptions = { note: (m: string) => ctx.note(m) };
  const sts = stsApi(callOptions, () => identity().sts);
  const callContext = (action: string, keyId?: string): CallContext => ({
    issuer: label,
    action,
    user,
    chain: identity().auth.chain,
    timeoutMs: config.timeout,
    connectTimeoutMs: config.connectTimeout,
    ...(keyId ? { keyId } : {}),
    ...(endpoint ? { endpoint } : {}),
  });

  async function guard<T>(action: string, keyId: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const error = toKeyrotError(e, callContext(action, keyId));
      if (!isKeyrotError(error, 'aws-user-not-found')) throw error;
      const account = await sts.callerIdentity().then((id) => id.account, () => undefined);
      throw account ? new KeyrotError('aws-user-not-found', { ...error.details, account }) : error;
    }
  }

  return { label, identityKey: key, identity, callOptions, iam: iamApi(callOptions, () => identity().iam), sts, callContext, guard };
}
