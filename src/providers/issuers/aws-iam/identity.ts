// The IAM and STS clients, and the credential chain behind them, of one AWS identity: shared by every
// aws-iam plan of the process with the same region, endpoint, profile, role, timeouts and environment
// (../../aws-clients.ts). Only the SDK clients are shared: each plan keeps its own retry reporting.
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { sharedClient } from '../../aws-clients.js';
import { resolveAuth, type Auth } from './auth.js';
import { sdkConfig } from './client.js';
import { awsIamIdentityKey } from './owner.js';
import type { AwsIamIssuerConfig } from './schema.js';

export interface AwsIdentity {
  auth: Auth;
  iam: IAMClient;
  /** Built on first use: a rotation asks STS only to name the account of a missing user, and in doctor. */
  readonly sts: STSClient;
}

export function sharedIdentity(config: AwsIamIssuerConfig, env: NodeJS.ProcessEnv, key = awsIamIdentityKey(config, env)): AwsIdentity {
  return sharedClient('aws-iam', key, () => {
    const auth = resolveAuth(config, env);
    const options = {
      region: config.region,
      credentials: auth.credentials,
      timeoutMs: config.timeout,
      connectTimeoutMs: config.connectTimeout,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    };
    const iam = new IAMClient(sdkConfig(options));
    let sts: STSClient | undefined;
    return {
      auth,
      iam,
      get sts() {
        return (sts ??= new STSClient(sdkConfig(options)));
      },
      destroy() {
        iam.destroy();
        sts?.destroy();
      },
    };
  });
}
