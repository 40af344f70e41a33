// The only Secrets Manager calls keyrot makes. Every write carries a ClientRequestToken, so the SDK's
// own retries (throttling, 5xx, network) can never create a second version.
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { identityKey, sharedClient } from '../../aws-clients.js';
import { awsRequestHandler } from '../../aws-request-handler.js';
import { type Call, awsCode, toKeyrotError } from './errors.js';
import type { AwsSecretsManagerStoreConfig } from './schema.js';

// The SDK warns on Node 20 that releases after January 2027 will need Node 22: noise on every cron run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface Described {
  tags: Record<string, string>;
  /** Version id -> staging labels, for every version that has a label. */
  stages: Record<string, string[]>;
  deleted: boolean;
}

export interface SecretValue {
  versionId: string;
  text: string;
}

export interface SecretsManagerApi {
  describe(): Promise<Described | undefined>;
  /** A version's value by id or staging label; undefined if there is none. */
  value(version: { id: string } | { stage: string }): Promise<SecretValue | undefined>;
  create(text: string, token: string, tags: Record<string, string>, sensitive: string[]): Promise<'created' | 'exists'>;
  put(text: string, token: string, sensitive: string[]): Promise<'written' | 'token-used'>;
  tag(tags: Record<string, string>): Promise<void>;
  /** Move a staging label: onto `to`, off `from` (either may be omitted). */
  moveStage(stage: string, move: { to?: string; from?: string }): Promise<void>;
}

const asRecord = (tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
const asList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function secretsManagerApi(config: AwsSecretsManagerStoreConfig, store: string): SecretsManagerApi {
  const { secretId, region, endpoint } = config;
  // One client (and credential chain) for every store of the process with the same region, endpoint,
  // profile, timeout and AWS environment, over the shared keep-alive pool (../../aws-clients.ts). Looked
  // up at each call, as the SDK reads its chain at the first call: the environment of that moment counts.
  const settings = { region, endpoint, profile: config.profile, timeout: config.timeout };
  const client = () => sharedClient('secretsmanager', identityKey(settings), () => new SecretsManagerClient({
    region,
    maxAttempts: 5,
    requestHandler: awsRequestHandler(config.timeout, config.timeout),
    ...(endpoint ? { endpoint } : {}),
    ...(config.profile ? { profile: config.profile } : {}),
  }));
  const call = (action: string, sensitive?: string[]): Call => ({ store, secretId, action: `secretsmanager:${action}`, endpoint, sensitive, timeoutMs: config.timeout });
  const fail = (e: unknown, action: string, sensitive?: string[]) => toKeyrotError(e, call(action, sensitive), region);

  return {
    async describe() {
      try {
        const out = await client().send(new DescribeSecretCommand({ SecretId: secretId }));
        return { tags: asRecord(out.Tags), stages: out.VersionIdsToStages ?? {}, deleted: out.DeletedDate !== undefined };
      } catch (e) {
        if (awsCode(e) === 'ResourceNotFound') return undefined;
        throw fail(e, 'DescribeSecret');
      }
    },

    async value(version) {
      try {
        const out = await client().send(
          new GetSecretValueCommand({ SecretId: secretId, ...('id' in version ? { VersionId: version.id } : { VersionStage: version.stage }) }),
        );
        return out.SecretString !== undefined && out.VersionId ? { versionId: out.VersionId, text: out.SecretString } : undefined;
      } catch (e) {
        if (awsCode(e) === 'ResourceNotFound') return undefined; // no such secret, or no value at that version/stage
        throw fail(e, 'GetSecretValue');
      }
    },

    async create(text, token, tags, sensitive) {
      try {
        await client().send(new CreateSecretCommand({ Name: secretId, SecretString: text, ClientRequestToken: token, Tags: asList(tags) }));
        return 'created';
      } catch (e) {
        if (awsCode(e) === 'ResourceExists') return 'exists';
        throw fail(e, 'CreateSecret', sensitive);
      }
    },

    async put(text, token, sensitive) {
      try {
        await client().send(new PutSecretValueCommand({ SecretId: secretId, SecretString: text, ClientRequestToken: token }));
        return 'written';
      } catch (e) {
        // The token names a version that exists with other content: versions are immutable.
        if (awsCode(e) === 'ResourceExists') return 'token-used';
        throw fail(e, 'PutSecretValue', sensitive);
      }
    },

    async tag(tags) {
      try {
        await client().send(new TagResourceCommand({ SecretId: secretId, Tags: asList(tags) }));
      } catch (e) {
        throw fail(e, 'TagResource');
      }
    },

    async moveStage(stage, { to, from }) {
      try {
        await client().send(
          new UpdateSecretVersionStageCommand({
            SecretId: secretId, VersionStage: stage, ...(to ? { MoveToVersionId: to } : {}), ...(from ? { RemoveFromVersionId: from } : {}),
          }),
        );
      } catch (e) {
        throw fail(e, 'UpdateSecretVersionStage');
      }
    },
  };
}
