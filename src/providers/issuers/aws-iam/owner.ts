// Whom an aws-iam plan's calls are made as, and whose keys it holds, from its settings alone: no
// schema and no SDK here, so the registry (and a run whose plans come from the plan cache) loads neither.
import { identityKey } from '../../aws-clients.js';
import type { AwsIamIssuerConfig } from './schema.js';

/** Every setting that changes whom the calls are made as, or how: the cache key of an identity (identity.ts). */
export const identitySettings = (config: AwsIamIssuerConfig) => ({
  region: config.region,
  endpoint: config.endpoint,
  profile: config.profile,
  roleArn: config.roleArn,
  timeout: config.timeout,
  connectTimeout: config.connectTimeout,
});

/** The cache key of the identity `config` calls AWS as in `env` (../../aws-clients.ts): it digests every
 *  AWS_* variable, so a plan computes it once, not at each of its calls. */
export const awsIamIdentityKey = (config: AwsIamIssuerConfig, env: NodeJS.ProcessEnv): string => identityKey(identitySettings(config), env);

/** An IAM user's access keys: ids AKIA + 16 (an ASIA id is a temporary credential, no user's key);
 *  AWS never shows keyrot a fingerprint to keep, so a leaked secret alone cannot be traced to a plan.
 *  The account (the identity its calls are made as) and the user are known from the plan alone: revoke's
 *  owner search groups a folder's plans by account without building their issuers. */
export const awsIamKeysHeld = {
  keyIds: /^AKIA[0-9A-Z]{16}$/,
  fingerprints: false as const,
  owner: (config: AwsIamIssuerConfig, env: NodeJS.ProcessEnv, scope = awsIamIdentityKey(config, env)) => ({ scope, principal: config.user }),
};
