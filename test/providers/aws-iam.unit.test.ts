// The aws-iam issuer against mocked IAM/STS clients: every API shape and error a user can meet.
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListAccessKeysCommand,
  NoSuchEntityException,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { createAwsIamIssuer } from '../../src/providers/issuers/aws-iam/issuer.js';
import { awsIamIssuerSchema } from '../../src/providers/issuers/aws-iam/schema.js';

const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);

const USER = 'payments-service';
const ACCOUNT = '123456789012';
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/${USER}`;
const NEW_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const meta = { $metadata: { httpStatusCode: 400 } };

function setup(plan: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  const notes: string[] = [];
  const config = awsIamIssuerSchema.parse({ type: 'aws-iam', user: USER, region: 'us-east-1', ...plan });
  const issuer = createAwsIamIssuer(config, { planName: 'payments', planDir: '/plans', stateDir: '/plans/.keyrot', env, now: () => new Date(), note: (m) => notes.push(m) });
  return { issuer, notes };
}

/** An unmodeled AWS error, as the SDK builds it from the wire code. */
const awsError = (name: string, message: string, status = 400) =>
  new IAMServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

async function failure(promise: Promise<unknown>): Promise<KeyrotError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyrotError);
  return error as KeyrotError;
}

/** True when a secret shows up anywhere a user or a log could see it. */
const leaks = (e: KeyrotError, secret: string) => JSON.stringify([e.message, e.hint, e.stack, e.details]).includes(secret);

beforeEach(() => {
  iam.reset();
  sts.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('schema', () => {
  it('fills in defaults a plan may leave out', () => {
    const config = awsIamIssuerSchema.parse({ type: 'aws-iam', user: USER, region: 'eu-west-1' });
    expect(config.deleteInactiveKey).toBe(false);
    expect(config.verifyTimeout).toBe(60_000);
    expect(config).toMatchObject({ timeout: 30_000, connectTimeout: 5_000 }); // every IAM/STS request is bounded
    expect(awsIamIssuerSchema.parse({ type: 'aws-iam', user: USER, region: 'eu-west-1', verifyTimeout: '2m', timeout: '10s' })).toMatchObject({ verifyTimeout: 120_000, timeout: 10_000 });
  });

  it('refuses literal credentials, bad regions, role ARNs and endpoints', () => {
    const base = { type: 'aws-iam', user: USER, region: 'us-east-1' };
    expect(awsIamIssuerSchema.safeParse({ ...base, secretAccessKey: 'x' }).success).toBe(false);
    expect(awsIamIssuerSchema.safeParse({ ...base, region: 'US East' }).success).toBe(false);
    expect(awsIamIssuerSchema.safeParse({ ...base, roleArn: 'keyrot-role' }).success).toBe(false);
    expect(awsIamIssuerSchema.safeParse({ ...base, endpoint: 'ftp://iam.local' }).success).toBe(false);
    expect(awsIamIssuerSchema.safeParse({ ...base, verifyTimeout: 'soon' }).success).toBe(false);
    expect(
      awsIamIssuerSchema.safeParse({ ...base, roleArn: `arn:aws:iam::${ACCOUNT}:role/ops/keyrot`, endpoint: 'http://127.0.0.1:5000', profile: 'ops' }).success,
    ).toBe(true);
  });
});

describe('list', () => {
  it('reads every page and maps status and creation date', async () => {
    const created = new Date('2024-01-02T03:04:05Z');
    iam
      .on(ListAccessKeysCommand)
      .resolvesOnce({ AccessKeyMetadata: [{ AccessKeyId: 'AKIAONE', Status: 'Active', CreateDate: created, UserName: USER }], IsTruncated: true, Marker: 'page2' })
      .resolvesOnce({ AccessKeyMetadata: [{ AccessKeyId: 'AKIATWO', Status: 'Inactive', CreateDate: created, UserName: USER }], IsTruncated: false });
    const { issuer } = setup();
    expect(await issuer.list()).toEqual([
      { id: 'AKIAONE', status: 'active', createdAt: created },
      { id: 'AKIATWO', status: 'inactive', createdAt: created },
    ]);
    const calls = iam.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([{ UserName: USER }, { UserName: USER, Marker: 'page2' }]);
  });

  it('a missing user is a plan error (exit 2) naming the account looked in', async () => {
    iam.on(ListAccessKeysCommand).rejects(new NoSuchEntityException({ message: `The user with name ${USER} cannot be found.`, ...meta }));
    sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci` });
    const e = await failure(setup().issuer.list());
    expect(e.code).toBe('aws-user-not-found');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(USER);
    expect(e.message).toContain(ACCOUNT);
  });
});

describe('create', () => {
  it('returns the new key id, secret and creation date', async () => {
    const created = new Date('2024-05-06T07:08:09Z');
    iam.on(CreateAccessKeyCommand, { UserName: USER }).resolves({
      AccessKey: { UserName: USER, AccessKeyId: 'AKIANEW', SecretAccessKey: NEW_SECRET, Status: 'Active', CreateDate: created },
    });
    const key = await setup().issuer.create();
    expect(key.keyId).toBe('AKIANEW');
    expect(key.secret === NEW_SECRET).toBe(true);
    expect(key.createdAt).toEqual(created);
  });

  it('refuses (exit 3) when IAM already holds two keys, listing them', async () => {
    iam.on(CreateAccessKeyCommand).rejects(new LimitExceededException({ message: 'Cannot exceed quota for AccessKeysPerUser: 2', ...meta }));
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: 'AKIAONE', Status: 'Active', UserName: USER },
        { AccessKeyId: 'AKIATWO', Status: 'Inactive', UserName: USER },
      ],
    });
    const e = await failure(setup().issuer.create());
    expect(e.code).toBe('key-limit');
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain('AKIAONE (active)');
    expect(e.message).toContain('AKIATWO (inactive)');
    expect(e.hint).toContain(`iam:DeleteAccessKey(UserName=${USER}) for AKIATWO`);
  });

  it('is never repeated after a network error: the first key may exist', async () => {
    iam.on(CreateAccessKeyCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const e = await failure(setup({ endpoint: 'http://127.0.0.1:9' }).issuer.create());
    expect(iam.commandCalls(CreateAccessKeyCommand)).toHaveLength(1);
    expect(e.code).toBe('provider-failed');
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('no answer from http://127.0.0.1:9: connection reset');
  });

  it('is repeated while throttled (the request was refused, so no key exists)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    iam
      .on(CreateAccessKeyCommand)
      .rejectsOnce(awsError('Throttling', 'Rate exceeded'))
      .resolves({ AccessKey: { UserName: USER, AccessKeyId: 'AKIANEW', SecretAccessKey: NEW_SECRET, Status: 'Active' } });
    const { issuer, notes } = setup();
    const created = issuer.create();
    await vi.runAllTimersAsync();
    expect((await created).keyId).toBe('AKIANEW');
    expect(notes).toEqual(['iam:CreateAccessKey: Throttling, retrying (attempt 2 of 6)']);
  });
});

describe('throttling and outages', () => {
  it('retries a throttled call, showing each retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    iam
      .on(ListAccessKeysCommand)
      .rejectsOnce(awsError('Throttling', 'Rate exceeded'))
      .rejectsOnce(awsError('ServiceUnavailable', 'Service is unavailable', 503))
      .resolves({ AccessKeyMetadata: [] });
    const { issuer, notes } = setup();
    const listed = issuer.list();
    await vi.runAllTimersAsync();
    expect(await listed).toEqual([]);
    expect(notes).toEqual([
      'iam:ListAccessKeys: Throttling, retrying (attempt 2 of 6)',
      'iam:ListAccessKeys: ServiceUnavailable, retrying (attempt 3 of 6)',
    ]);
  });

  it('gives up after six throttled attempts with exit 4', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    iam.on(UpdateAccessKeyCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    const pending = failure(setup().issuer.deactivate('AKIAOLD'));
    await vi.runAllTimersAsync();
    const e = await pending;
    expect(iam.commandCalls(UpdateAccessKeyCommand)).toHaveLength(6);
    expect(e.code).toBe('provider-failed');
    expect(e.exitCode).toBe(4);
    expect(e.message).toBe(`aws-iam user ${USER} iam:UpdateAccessKey failed: throttled by AWS (Throttling) 6 times in a row`);
  });

  it('an unreachable endpoint fails with exit 4 after six attempts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    iam.on(ListAccessKeysCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
    const { issuer, notes } = setup({ endpoint: 'http://127.0.0.1:9' });
    const pending = failure(issuer.list());
    await vi.runAllTimersAsync();
    const e = await pending;
    expect(e.exitCode).toBe(4);
    expect(e.message).toMatch(new RegExp(`^aws-iam user ${USER} iam:ListAccessKeys failed: no answer from http://127\\.0\\.0\\.1:9: connection refused on each of 6 attempts over \\S+$`));
    expect(notes).toHaveLength(5);
    expect(notes[4]).toBe('iam:ListAccessKeys: network error, retrying (attempt 6 of 6)');
  });

  // Issue 25: the SDK names a reset connection "TimeoutError" (code ECONNRESET), as it names a request
  // that timed out (code ETIMEDOUT): a run of resets said "got no answer within 30s (each of 6 attempts)".
  it('says what each attempt met: resets and timeouts counted apart, never a timeout it did not wait for', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const reset = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
    const timedOut = () => Object.assign(new Error('a request has exceeded the configured 30000 ms requestTimeout'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    iam.on(ListAccessKeysCommand).rejectsOnce(reset()).rejectsOnce(reset()).rejectsOnce(timedOut()).rejectsOnce(reset()).rejectsOnce(reset()).rejects(timedOut());
    const pending = failure(setup({ endpoint: 'http://127.0.0.1:9' }).issuer.list());
    await vi.runAllTimersAsync();
    const e = await pending;
    expect(e.exitCode).toBe(4);
    expect(e.message).toMatch(/iam:ListAccessKeys failed: no answer from http:\/\/127\.0\.0\.1:9: connection reset \(4 attempts\), no answer within 30s \(2\); 6 attempts over \S+$/);

    iam.reset();
    iam.on(ListAccessKeysCommand).rejects(timedOut());
    const slow = failure(setup().issuer.list());
    await vi.runAllTimersAsync();
    expect((await slow).message).toBe(`aws-iam user ${USER}: iam:ListAccessKeys got no answer within 30s (each of 6 attempts)`);
  });

  it('does not retry a client error', async () => {
    iam.on(ListAccessKeysCommand).rejects(awsError('ValidationError', 'The specified value for userName is invalid. It must contain only ...'));
    const e = await failure(setup().issuer.list());
    expect(iam.commandCalls(ListAccessKeysCommand)).toHaveLength(1);
    expect(e.message).toContain('ValidationError: The specified value for userName is invalid');
  });
});

describe('access denied', () => {
  it('names the denied IAM action and the principal (exit 4)', async () => {
    const message = `User: arn:aws:iam::${ACCOUNT}:user/ci is not authorized to perform: iam:CreateAccessKey on resource: user ${USER} because no identity-based policy allows the iam:CreateAccessKey action`;
    iam.on(CreateAccessKeyCommand).rejects(awsError('AccessDenied', message, 403));
    const e = await failure(setup().issuer.create());
    expect(e.code).toBe('aws-access-denied');
    expect(e.exitCode).toBe(4);
    expect(e.message).toBe(`arn:aws:iam::${ACCOUNT}:user/ci may not call iam:CreateAccessKey on user ${USER}`);
    expect(e.hint).toContain('allow iam:CreateAccessKey');
  });

  it('names the action called when AWS does not say', async () => {
    iam.on(GetAccessKeyLastUsedCommand).rejects(awsError('AccessDenied', 'Access denied', 403));
    const e = await failure(setup().issuer.lastUsed('AKIAOLD'));
    expect(e.message).toBe('the AWS credentials may not call iam:GetAccessKeyLastUsed');
  });
});

describe('credentials', () => {
  const providerError = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

  it('says which chain was tried when none has credentials', async () => {
    iam.on(ListAccessKeysCommand).rejects(providerError());
    const e = await failure(setup({}, { AWS_PROFILE: 'ops' }).issuer.list());
    expect(e.code).toBe('aws-credentials');
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('Could not load credentials from any providers');
    expect(e.message).toContain('the AWS default chain');
    expect(e.message).toContain('profile "ops"');
  });

  it('names the profile and the role when the plan sets them', async () => {
    iam.on(ListAccessKeysCommand).rejects(awsError('ExpiredToken', 'The security token included in the request is expired', 403));
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/keyrot`;
    const e = await failure(setup({ profile: 'ops', roleArn }).issuer.list());
    expect(e.code).toBe('aws-credentials');
    expect(e.message).toContain('the session token has expired');
    expect(e.message).toContain('profile "ops" in ~/.aws/config');
    expect(e.message).toContain(`sts:AssumeRole into ${roleArn}`);
  });

  it('reports an unknown access key as a credentials problem', async () => {
    iam.on(ListAccessKeysCommand).rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403));
    const e = await failure(setup().issuer.list());
    expect(e.code).toBe('aws-credentials');
    expect(e.message).toContain('the access key id is not valid');
  });
});

describe('lastUsed', () => {
  it('reports date, service and region of the last use', async () => {
    const at = new Date('2024-06-01T10:00:00Z');
    iam.on(GetAccessKeyLastUsedCommand, { AccessKeyId: 'AKIAOLD' }).resolves({
      UserName: USER,
      AccessKeyLastUsed: { LastUsedDate: at, ServiceName: 's3', Region: 'eu-west-1' },
    });
    expect(await setup().issuer.lastUsed('AKIAOLD')).toEqual({ reported: true, at, service: 's3', region: 'eu-west-1' });
  });

  it('reports a key that was never used (AWS says N/A)', async () => {
    iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: USER, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
    expect(await setup().issuer.lastUsed('AKIANEW')).toEqual({ reported: true, at: null });
  });

  it('a key that no longer exists is refused (exit 3)', async () => {
    iam.on(GetAccessKeyLastUsedCommand).rejects(new NoSuchEntityException({ message: 'The Access Key with id AKIAGONE cannot be found', ...meta }));
    const e = await failure(setup().issuer.lastUsed('AKIAGONE'));
    expect(e.code).toBe('aws-key-not-found');
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain('AKIAGONE');
  });
});

describe('deactivate, reactivate, delete', () => {
  it('sets the status with UpdateAccessKey', async () => {
    iam.on(UpdateAccessKeyCommand).resolves({});
    const { issuer } = setup();
    await issuer.deactivate('AKIAOLD');
    await issuer.reactivate('AKIAOLD');
    expect(iam.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([
      { UserName: USER, AccessKeyId: 'AKIAOLD', Status: 'Inactive' },
      { UserName: USER, AccessKeyId: 'AKIAOLD', Status: 'Active' },
    ]);
  });

  it('deactivating a key that is gone says so', async () => {
    iam.on(UpdateAccessKeyCommand).rejects(new NoSuchEntityException({ message: 'The Access Key with id AKIAGONE cannot be found', ...meta }));
    const e = await failure(setup().issuer.deactivate('AKIAGONE'));
    expect(e.code).toBe('aws-key-not-found');
  });

  it('deletes with DeleteAccessKey, and a key already gone counts as deleted', async () => {
    iam
      .on(DeleteAccessKeyCommand)
      .resolvesOnce({})
      .rejects(new NoSuchEntityException({ message: 'The Access Key with id AKIAOLD cannot be found', ...meta }));
    const { issuer } = setup();
    await issuer.delete('AKIAOLD');
    await issuer.delete('AKIAOLD');
    expect(iam.commandCalls(DeleteAccessKeyCommand)[0]!.args[0].input).toEqual({ UserName: USER, AccessKeyId: 'AKIAOLD' });
  });

  it('deleting from a user that is gone is a plan error', async () => {
    iam.on(DeleteAccessKeyCommand).rejects(new NoSuchEntityException({ message: `The user with name ${USER} cannot be found.`, ...meta }));
    sts.on(GetCallerIdentityCommand).rejects(awsError('AccessDenied', 'denied', 403));
    const e = await failure(setup().issuer.delete('AKIAOLD'));
    expect(e.code).toBe('aws-user-not-found');
    expect(e.message).toBe(`IAM user ${USER} does not exist`);
  });
});

describe('verify', () => {
  const credential = { keyId: 'AKIANEW', secret: NEW_SECRET };

  it('signs GetCallerIdentity with the new key and accepts the plan user', async () => {
    let signedWith: { keyId: string; secretMatches: boolean } | undefined;
    sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
      const creds = await getClient().config.credentials();
      signedWith = { keyId: creds.accessKeyId, secretMatches: creds.secretAccessKey === NEW_SECRET };
      return { Arn: `arn:aws:iam::${ACCOUNT}:user/team/${USER}`, Account: ACCOUNT, UserId: 'AIDA' };
    });
    await setup().issuer.verify(credential);
    expect(signedWith).toEqual({ keyId: 'AKIANEW', secretMatches: true });
  });

  it('fails when the key authenticates as someone else', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Arn: `arn:aws:iam::${ACCOUNT}:user/other`, Account: ACCOUNT });
    const e = await failure(setup().issuer.verify(credential));
    expect(e.code).toBe('verify-failed');
    expect(e.message).toContain(`authenticates as arn:aws:iam::${ACCOUNT}:user/other, not as IAM user ${USER}`);
    expect(e.message).toContain('the old key is untouched');
  });

  it('retries InvalidClientTokenId while IAM propagates the key, showing each retry', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejectsOnce(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403))
      .rejectsOnce(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403))
      .resolves({ Arn: USER_ARN, Account: ACCOUNT });
    const { issuer, notes } = setup({ verifyTimeout: '5s' });
    await issuer.verify(credential);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^verify: STS does not know key AKIANEW yet \(InvalidClientTokenId, attempt 1, .* of 5s\); retrying$/);
    expect(notes[1]).toContain('attempt 2');
  });

  it('gives up at verifyTimeout with verify-failed (exit 3), never showing the secret', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403));
    const started = Date.now();
    const { issuer, notes } = setup({ verifyTimeout: '300ms' });
    const e = await failure(issuer.verify(credential));
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(e.code).toBe('verify-failed');
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/STS still answers InvalidClientTokenId after \d+ms \(\d+ attempts\)/);
    expect(notes.length).toBeGreaterThan(1);
    expect(leaks(e, NEW_SECRET)).toBe(false);
    expect(notes.some((n) => n.includes(NEW_SECRET))).toBe(false);
  });

  it('does not retry a wrong secret', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', 403));
    const e = await failure(setup().issuer.verify(credential));
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(e.code).toBe('verify-failed');
    expect(e.message).toContain('STS answers SignatureDoesNotMatch');
    expect(leaks(e, NEW_SECRET)).toBe(false);
  });

  it('an unreachable STS is a provider failure, not a rejected key', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
    const pending = failure(setup({ endpoint: 'http://127.0.0.1:9' }).issuer.verify(credential));
    await vi.runAllTimersAsync();
    const e = await pending;
    expect(e.code).toBe('provider-failed');
    expect(e.message).toContain('sts:GetCallerIdentity failed: no answer from http://127.0.0.1:9: connection refused');
  });
});

describe('explain', () => {
  it('names the exact call of each operation', () => {
    const { issuer } = setup({ verifyTimeout: '90s' });
    expect(issuer.label).toBe(`aws-iam user ${USER}`);
    expect(issuer.maxKeys).toBe(2);
    expect(issuer.explain('list')).toBe(`iam:ListAccessKeys(UserName=${USER})`);
    expect(issuer.explain('create')).toBe(`iam:CreateAccessKey(UserName=${USER})`);
    expect(issuer.explain('verify')).toBe('sts:GetCallerIdentity() signed with the new key, retried up to 1m30s');
    expect(issuer.explain('lastUsed')).toBe('iam:GetAccessKeyLastUsed(AccessKeyId)');
    expect(issuer.explain('deactivate')).toBe(`iam:UpdateAccessKey(UserName=${USER}, Status=Inactive)`);
    expect(issuer.explain('reactivate')).toBe(`iam:UpdateAccessKey(UserName=${USER}, Status=Active)`);
    expect(issuer.explain('delete')).toBe(`iam:DeleteAccessKey(UserName=${USER})`);
  });
});
