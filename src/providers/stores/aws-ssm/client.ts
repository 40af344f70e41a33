// The only Parameter Store calls keyrot makes, on one parameter. Values are asked for decrypted; the
// SDK keeps no request body in its errors, and our messages never quote a value.
import {
  AddTagsToResourceCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  LabelParameterVersionCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SSMClient,
  UnlabelParameterVersionCommand,
} from '@aws-sdk/client-ssm';
import { identityKey, sharedClient } from '../../aws-clients.js';
import { awsRequestHandler } from '../../aws-request-handler.js';
import { awsCode, awsError } from '../../aws-errors.js';
import type { AwsSsmStoreConfig } from './schema.js';

// The SDK warns on Node 20 that releases after January 2027 will need Node 22: noise on every cron run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface Version {
  version: number;
  /** Decrypted, where asked for (`values: true`); else undefined. */
  value?: string;
  labels: string[];
  description: string;
}

export interface Write {
  value: string;
  description: string;
  /** Create the parameter (with these tags) instead of adding a version. */
  create?: Record<string, string>;
}

export interface ParameterApi {
  /** The latest version and its value; undefined when there is no such parameter. */
  current(): Promise<{ version: number; value: string } | undefined>;
  /** Every version Parameter Store still keeps, oldest first. */
  history(values: boolean): Promise<Version[]>;
  tags(): Promise<Record<string, string>>;
  /** Resolves the new version; 'exists' when `create` found the parameter there already. */
  put(write: Write, sensitive: string[]): Promise<number | 'exists'>;
  tag(tags: Record<string, string>): Promise<void>;
  /** Attach a label to a version (moving it off whichever version had it). */
  label(version: number, label: string): Promise<void>;
  unlabel(version: number, labels: string[]): Promise<void>;
}

const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Every page of GetParameterHistory (50 a page), oldest version first. */
async function pagedHistory(client: SSMClient, name: string, values: boolean): Promise<Version[]> {
  const versions: Version[] = [];
  let NextToken: string | undefined;
  do {
    const out = await client.send(new GetParameterHistoryCommand({ Name: name, WithDecryption: values, MaxResults: 50, NextToken }));
    for (const p of out.Parameters ?? []) {
      if (p.Version === undefined) continue;
      versions.push({ version: p.Version, ...(values ? { value: p.Value } : {}), labels: p.Labels ?? [], description: p.Description ?? '' });
    }
    NextToken = out.NextToken;
  } while (NextToken);
  return versions.sort((a, b) => a.version - b.version);
}

export function parameterApi(config: AwsSsmStoreConfig, store: string): ParameterApi {
  const { name, region, endpoint } = config;
  // One client per identity, over the shared keep-alive pool (../../aws-clients.ts). Adaptive retries:
  // the history purge writes ~100 versions in a row, and PutParameter's rate quota is low.
  const settings = { region, endpoint, profile: config.profile, timeout: config.timeout };
  const client = () => sharedClient('ssm', identityKey(settings), () => new SSMClient({
    region,
    maxAttempts: 5,
    retryMode: 'adaptive',
    requestHandler: awsRequestHandler(config.timeout, config.timeout),
    ...(endpoint ? { endpoint } : {}),
    ...(config.profile ? { profile: config.profile } : {}),
  }));
  const fail = (e: unknown, action: string, sensitive?: string[]) => awsError(e, { store, resource: name, action: `ssm:${action}`, service: 'SSM Parameter Store', endpoint, sensitive, timeoutMs: config.timeout }, region);
  const missing = (e: unknown) => awsCode(e) === 'ParameterNotFound' || awsCode(e) === 'InvalidResourceId';

  return {
    async current() {
      try {
        const p = (await client().send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter;
        return p?.Value !== undefined && p.Version !== undefined ? { version: p.Version, value: p.Value } : undefined;
      } catch (e) {
        if (missing(e)) return undefined;
        throw fail(e, 'GetParameter');
      }
    },

    async history(values) {
      try {
        return await pagedHistory(client(), name, values);
      } catch (e) {
        if (missing(e)) return [];
        throw fail(e, 'GetParameterHistory');
      }
    },

    async tags() {
      try {
        const { TagList } = await client().send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
        return Object.fromEntries((TagList ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
      } catch (e) {
        if (missing(e)) return {};
        throw fail(e, 'ListTagsForResource');
      }
    },

    async put({ value, description, create }, sensitive) {
      try {
        const out = await client().send(new PutParameterCommand({
          Name: name,
          Value: value,
          Type: 'SecureString',
          Description: description,
          ...(config.kmsKeyId ? { KeyId: config.kmsKeyId } : {}),
          // Tags only with a create: Parameter Store refuses tags together with Overwrite.
          ...(create ? { Overwrite: false, Tier: config.tier, Tags: tagList(create) } : { Overwrite: true }),
        }));
        if (out.Version === undefined) throw new Error('PutParameter answered no Version');
        return out.Version;
      } catch (e) {
        if (create && awsCode(e) === 'ParameterAlreadyExists') return 'exists';
        throw fail(e, 'PutParameter', sensitive);
      }
    },

    async tag(tags) {
      try {
        await client().send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: name, Tags: tagList(tags) }));
      } catch (e) {
        throw fail(e, 'AddTagsToResource');
      }
    },

    async label(version, label) {
      try {
        await client().send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: version, Labels: [label] }));
      } catch (e) {
        throw fail(e, 'LabelParameterVersion');
      }
    },

    async unlabel(version, labels) {
      try {
        await client().send(new UnlabelParameterVersionCommand({ Name: name, ParameterVersion: version, Labels: labels }));
      } catch (e) {
        throw fail(e, 'UnlabelParameterVersion');
      }
    },
  };
}
