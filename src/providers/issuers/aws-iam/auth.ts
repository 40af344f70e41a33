// Where the credentials that call IAM come from: the AWS default chain, exactly as the aws CLI finds
// them, or a named profile, optionally followed by an assumed role.
import type { IAMClientConfig } from '@aws-sdk/client-iam';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { awsRequestHandler } from '../../aws-request-handler.js';
import type { AwsIamIssuerConfig } from './schema.js';

export type CredentialSource = NonNullable<IAMClientConfig['credentials']>;
type Provider = Exclude<CredentialSource, { accessKeyId: string }>;
type Identity = Awaited<ReturnType<Provider>>;

export interface Auth {
  credentials: Provider;
  /** Which chain was tried, for error messages. */
  chain: string;
}

export function resolveAuth(config: AwsIamIssuerConfig, env: NodeJS.ProcessEnv): Auth {
  // The chain's own calls (AssumeRole, web identity, SSO) are bounded like every other IAM/STS request.
  const clientConfig = {
    region: config.region,
    requestHandler: awsRequestHandler(config.timeout, config.connectTimeout),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  };
  const base = config.profile
    ? fromIni({ profile: config.profile, clientConfig })
    : fromNodeProviderChain({ clientConfig });
  const baseChain = config.profile
    ? `profile "${config.profile}" in ~/.aws/config and ~/.aws/credentials`
    : `the AWS default chain (environment variables, ${env.AWS_PROFILE ? `profile "${env.AWS_PROFILE}"` : 'the default profile'} incl. SSO, web identity, container and instance metadata)`;
  if (!config.roleArn) return { credentials: cached(base), chain: baseChain };
  const role = fromTemporaryCredentials({
    masterCredentials: base,
    params: { RoleArn: config.roleArn, RoleSessionName: 'keyrot' },
    clientConfig,
  });
  return { credentials: cached(role), chain: `${baseChain}, then sts:AssumeRole into ${config.roleArn}` };
}

// One lookup (and one AssumeRole) shared by the IAM and STS clients, renewed 5 minutes before expiry.
function cached(provider: Provider): Provider {
  let pending: Promise<Identity> | undefined;
  return async () => {
    const current = pending && (await pending.catch(() => undefined));
    if (current && (!current.expiration || current.expiration.getTime() - Date.now() > 300_000)) return current;
    pending = provider();
    return pending;
  };
}
