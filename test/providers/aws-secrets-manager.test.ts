// The aws-secrets-manager store as a Secrets Manager user sees it: AWSCURRENT / AWSPREVIOUS staging,
// idempotent versions across resume, retirement, and what it says when AWS refuses. Against moto.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { toKeyrotError } from '../../src/providers/stores/aws-secrets-manager/errors.js';
import { awsSecretsManagerStoreSchema } from '../../src/providers/stores/aws-secrets-manager/schema.js';
import { createAwsSecretsManagerStore, versionToken } from '../../src/providers/stores/aws-secrets-manager/store.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { failure, newCredential, shown } from '../contracts/secret-store.contract.js';
import { type Moto, startMoto } from '../peers/moto.js';

const REGION = 'us-east-1';
const TESTING = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let moto: Moto;

beforeAll(async () => {
  moto = await startMoto();
}, 300_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  useEnvCredentials(TESTING);
});

function useEnvCredentials(creds: typeof TESTING) {
  vi.stubEnv('AWS_ACCESS_KEY_ID', creds.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', creds.secretAccessKey);
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}

const sm = () => new SecretsManagerClient({ region: REGION, endpoint: moto.endpoint, credentials: TESTING });
const context = (rotationId = `r-${randomBytes(3).toString('hex')}`) => ({ plan: 'payments', rotationId, rotatedAt: new Date() });
const said = (e: KeyrotError) => `${e.message}\n${e.hint}`;

function storeFor(fields: Record<string, unknown> = {}, notes: string[] = []) {
  const secretId = (fields.secretId as string | undefined) ?? `payments/aws-${randomBytes(4).toString('hex')}`;
  const config = awsSecretsManagerStoreSchema.parse({
    type: 'aws-secrets-manager', region: REGION, secretId, endpoint: moto.endpoint,
    data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' }, ...fields,
  });
  const ctx = { planName: 'payments', planDir: '.', stateDir: '.', env: process.env, now: () => new Date(), note: (m: string) => notes.push(m) };
  return { secretId, store: createAwsSecretsManagerStore(config, ctx) };
}

/** Staging labels by the fingerprint of the value each version holds. */
async function stagesByKey(secretId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const { Versions = [] } = await sm().send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }));
  for (const v of Versions) {
    const { SecretString = '' } = await sm().send(new GetSecretValueCommand({ SecretId: secretId, VersionId: v.VersionId }));
    const secret = (JSON.parse(SecretString) as { secret_access_key: string }).secret_access_key;
    out[fingerprint(secret)] = [...(v.VersionStages ?? [])].sort();
  }
  return out;
}

describe('aws-secrets-manager store on moto', () => {
  it('creates the secret tagged as keyrot\'s, as JSON, with the version id derived from the rotation', async () => {
    const { secretId, store } = storeFor();
    const key = newCredential();
    const ctx = context('rotation-1');
    await store.publish(key, ctx);

    const described = await sm().send(new DescribeSecretCommand({ SecretId: secretId }));
    const tags = Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ 'managed-by': 'keyrot', 'keyrot-plan': 'payments', 'keyrot-key-id': key.keyId, 'keyrot-version': versionToken('rotation-1', key.keyId) });
    const current = await sm().send(new GetSecretValueCommand({ SecretId: secretId }));
    expect(current.VersionId).toBe(versionToken('rotation-1', key.keyId));
    const data = JSON.parse(current.SecretString!) as Record<string, string>;
    expect(data.access_key_id).toBe(key.keyId);
    expect(fingerprint(data.secret_access_key!)).toBe(fingerprint(key.secret));
  });

  it('stages like a Secrets Manager rotation, then retires, restores and drops the old version', async () => {
    const { secretId, store } = storeFor();
    const [oldKey, newKey] = [newCredential(), newCredential()];
    const [o, n] = [fingerprint(oldKey.secret), fingerprint(newKey.secret)];
    await store.publish(oldKey, context());
    await store.publish(newKey, context());
    expect(await stagesByKey(secretId)).toEqual({ [o]: ['AWSPREVIOUS'], [n]: ['AWSCURRENT'] });

    await store.onDeactivate(oldKey.keyId);
    expect(await stagesByKey(secretId)).toEqual({ [o]: ['keyrot-retired'], [n]: ['AWSCURRENT'] });
    await store.onReactivate(oldKey.keyId);
    expect(await stagesByKey(secretId)).toEqual({ [o]: ['AWSPREVIOUS'], [n]: ['AWSCURRENT'] });
    await store.onDeactivate(oldKey.keyId);
    await store.onDelete(oldKey.keyId);
    expect(await stagesByKey(secretId)).toEqual({ [o]: [], [n]: ['AWSCURRENT'] });
    expect(shown(await store.readBack())).toBe(shown(newKey));
  });

  it('a resumed publish (same rotation, same key) adds no version, even after only the tags were written', async () => {
    const { secretId, store } = storeFor();
    await store.publish(newCredential(), context());
    const key = newCredential();
    const ctx = context('rotation-7');
    await store.publish(key, ctx);
    await store.publish(key, { ...ctx, rotatedAt: new Date(Date.now() + 60_000) });
    const { Versions = [] } = await sm().send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }));
    expect(Versions).toHaveLength(2);
    expect(shown(await store.readBack())).toBe(shown(key));
  });

  it('reads back the key id from its tags when the secret holds only the secret', async () => {
    const { store } = storeFor({ data: undefined, value: '{{secret}}' });
    const [oldKey, newKey] = [newCredential(), newCredential()];
    await store.publish(oldKey, context());
    await store.publish(newKey, context());
    expect(shown(await store.readBack())).toBe(shown(newKey));
  });

  it('refuses a secret it does not manage, naming what it found; adopt takes it over', async () => {
    const secretId = `payments/by-hand-${randomBytes(3).toString('hex')}`;
    await sm().send(new CreateSecretCommand({ Name: secretId, SecretString: '{"secret_access_key":"by-hand"}' }));
    const e = await failure(storeFor({ secretId }).store.publish(newCredential(), context()));
    expect(e.code).toBe('store-unmanaged');
    expect(e.message).toContain('no tag managed-by=keyrot');
    const key = newCredential();
    const { store } = storeFor({ secretId, adopt: true });
    await store.publish(key, context());
    expect(shown(await store.readBack())).toBe(shown(key));
  });

  it('reports a secret scheduled for deletion before anything is created, with the restore command', async () => {
    const { secretId, store } = storeFor();
    await store.publish(newCredential(), context());
    await sm().send(new DeleteSecretCommand({ SecretId: secretId, RecoveryWindowInDays: 7 }));
    const e = await failure(store.ownership());
    expect(e.code).toBe('secret-soft-deleted');
    expect(e.hint).toContain(`aws secretsmanager restore-secret --secret-id ${secretId} --region ${REGION}`);
  });

  it('gives up on an endpoint that never answers after the plan\'s timeout, retries included', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const { store } = storeFor({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeout: '200ms' });
      const e = await failure(store.ownership());
      expect(e.code).toBe('provider-timeout');
      expect(e.message).toContain('secretsmanager:DescribeSecret got no answer within 200ms');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('does not create a secret named by an ARN that does not exist', async () => {
    const { store } = storeFor({ secretId: `arn:aws:secretsmanager:${REGION}:123456789012:secret:payments-AbCdEf` });
    const e = await failure(store.publish(newCredential(), context()));
    expect(e.message).toContain('no secret has that ARN');
  });

  it('names the denied action when the credentials may not write, without the secret', async () => {
    const iam = new IAMClient({ region: REGION, endpoint: moto.endpoint, credentials: TESTING });
    await iam.send(new CreateUserCommand({ UserName: 'reader' }));
    await iam.send(new PutUserPolicyCommand({
      UserName: 'reader', PolicyName: 'read',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: '*' }] }),
    }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'reader' }));
    const { store } = storeFor();
    await moto.requireAuth(true);
    useEnvCredentials({ accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! });
    const key = newCredential();
    const e = await failure(store.publish(key, context()));
    expect(e.code, e.message).toBe("aws-access-denied");
    expect(e.message).toContain('secretsmanager:CreateSecret');
    expect(said(e).includes(key.secret)).toBe(false);
  });
});

describe('aws-secrets-manager plan fields', () => {
  const problems = (fields: Record<string, unknown>) =>
    (awsSecretsManagerStoreSchema.safeParse({ type: 'aws-secrets-manager', region: REGION, secretId: 'payments/aws', ...fields }).error?.issues ?? [])
      .map((i) => i.message).join('\n');

  it('takes exactly one of data or value, with {{secret}} in it', () => {
    expect(problems({ value: '{{secret}}' })).toBe('');
    expect(problems({})).toContain('exactly one of `data`');
    expect(problems({ value: '{{secret}}', data: { a: '{{secret}}' } })).toContain('exactly one of `data`');
    expect(problems({ data: { id: '{{keyId}}' } })).toContain('must contain {{secret}}');
  });
});

describe('aws-secrets-manager error mapping', () => {
  const secret = randomBytes(24).toString('base64url');
  const call = { store: 'aws-secrets-manager payments/aws (us-east-1)', secretId: 'payments/aws', action: 'secretsmanager:PutSecretValue', sensitive: [secret], timeoutMs: 30_000 };
  const awsError = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, ...extra });
  const cases: [string, Error, string, RegExp][] = [
    ['denied', awsError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:PutSecretValue on resource: payments/aws because no identity-based policy allows the secretsmanager:PutSecretValue action'), 'aws-access-denied', /arn:aws:iam::123456789012:user\/ci may not call secretsmanager:PutSecretValue on payments\/aws/],
    ['marked for deletion', awsError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion."), 'secret-soft-deleted', /scheduled for deletion/],
    ['throttled', awsError('ThrottlingException', 'Rate exceeded'), 'provider-failed', /throttled by AWS/],
    ['timed out', awsError('TimeoutError', 'the request socket timed out after 30000 ms', { code: 'ETIMEDOUT', $metadata: { attempts: 5 } }), 'provider-timeout', /no answer within 30s \(the last of 5 attempts\)/],
    // Issue 25: the SDK names a reset connection TimeoutError too; it is no timeout.
    ['reset', awsError('TimeoutError', 'socket hang up', { code: 'ECONNRESET', $metadata: { attempts: 5 } }), 'provider-failed', /no answer from Secrets Manager in us-east-1: connection reset on the last of 5 attempts/],
    ['no credentials', awsError('CredentialsProviderError', 'Could not load credentials from any providers'), 'aws-credentials', /Could not load credentials/],
    ['network', awsError('Error', 'connect ECONNREFUSED', { code: 'ECONNREFUSED' }), 'provider-failed', /no answer from Secrets Manager in us-east-1: connection refused/],
    ['a message echoing the value', awsError('InvalidParameterException', `bad SecretString ${secret}`), 'provider-failed', /\[redacted\]/],
  ];

  it.each(cases)('%s', (_, thrown, code, text) => {
    const e = toKeyrotError(thrown, call, REGION);
    expect(e.code).toBe(code);
    expect(said(e)).toMatch(text);
    expect(said(e).includes(secret)).toBe(false);
    expect(JSON.stringify(e.details).includes(secret)).toBe(false);
  });
});
