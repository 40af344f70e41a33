// The real aws-iam issuer against moto, an independently written IAM/STS server.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { createAwsIamIssuer } from '../../src/providers/issuers/aws-iam/issuer.js';
import { awsIamIssuerSchema } from '../../src/providers/issuers/aws-iam/schema.js';
import type { Credential, KeyIssuer } from '../../src/providers/types.js';
import { startMoto, type Moto } from '../peers/moto.js';

const USER = 'payments-service';
const ACCOUNT = '123456789012'; // moto's default account
let moto: Moto;

beforeAll(async () => {
  moto = await startMoto();
}, 300_000);
afterAll(async () => {
  await moto?.stop();
});

// The issuer finds credentials through the default chain: the environment, as in production.
// Shared config files point at empty files so the host's ~/.aws never leaks in.
const emptyAws = mkdtempSync(join(tmpdir(), 'keyrot-aws-'));
writeFileSync(join(emptyAws, 'config'), '');
function useEnvCredentials(keyId: string, secret: string) {
  vi.stubEnv('AWS_ACCESS_KEY_ID', keyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', secret);
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_CONFIG_FILE', join(emptyAws, 'config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(emptyAws, 'config'));
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}

beforeEach(async () => {
  vi.unstubAllEnvs();
  await moto.reset(); // also turns signature checks off
  useEnvCredentials('testing', 'testing');
  await admin().send(new CreateUserCommand({ UserName: USER }));
});

/** A client for test setup only, with whatever credentials moto currently accepts. */
const admin = (credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }) =>
  new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });

function issuerFor(plan: Record<string, unknown> = {}, notes: string[] = []): KeyIssuer {
  const config = awsIamIssuerSchema.parse({ type: 'aws-iam', user: USER, region: 'us-east-1', endpoint: moto.endpoint, ...plan });
  return createAwsIamIssuer(config, { planName: 'payments', planDir: '.', stateDir: '.keyrot', env: process.env, now: () => new Date(), note: (m) => notes.push(m) });
}

async function failure(promise: Promise<unknown>): Promise<KeyrotError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyrotError);
  return error as KeyrotError;
}

/** An admin user allowed everything, whose key signs setup calls once signature checks are on. */
async function createAdmin(): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const iam = admin();
  await iam.send(new CreateUserCommand({ UserName: 'keyrot-admin' }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'keyrot-admin',
      PolicyName: 'all',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
  );
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'keyrot-admin' }));
  return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
}

describe('aws-iam issuer against moto', () => {
  it('creates, lists, deactivates, reactivates and deletes keys', async () => {
    const issuer = issuerFor();
    expect(await issuer.list()).toEqual([]);

    const key = await issuer.create();
    expect(key.keyId).toMatch(/^AKIA/);
    expect(key.secret.length).toBeGreaterThanOrEqual(40);
    expect(await issuer.list()).toEqual([{ id: key.keyId, status: 'active', createdAt: expect.any(Date) }]);

    await issuer.deactivate(key.keyId);
    expect((await issuer.list())[0]!.status).toBe('inactive');
    await issuer.deactivate(key.keyId); // idempotent
    await issuer.reactivate(key.keyId);
    expect((await issuer.list())[0]!.status).toBe('active');

    await issuer.delete(key.keyId);
    expect(await issuer.list()).toEqual([]);
    await issuer.delete(key.keyId); // already gone: nothing left to do
  });

  it('refuses a third key with exit 3, naming both keys', async () => {
    const issuer = issuerFor();
    const first = await issuer.create();
    const second = await issuer.create();
    await issuer.deactivate(first.keyId);
    const e = await failure(issuer.create());
    expect(e.code).toBe('key-limit');
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain(`${first.keyId} (inactive)`);
    expect(e.message).toContain(`${second.keyId} (active)`);
    expect(e.hint).toContain(`for ${first.keyId}`);
    expect(await issuer.list()).toHaveLength(2);
  });

  it('reports last use: never, then the service and region of a signed request', async () => {
    const notes: string[] = [];
    const issuer = issuerFor({}, notes);
    const key = await issuer.create();
    expect(await issuer.lastUsed(key.keyId)).toEqual({ reported: true, at: null });

    const before = Date.now();
    await issuer.verify(key); // STS GetCallerIdentity signed with the new key
    const use = await issuer.lastUsed(key.keyId);
    expect(use.reported === true && use.at && use.at.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(use).toMatchObject({ reported: true, service: 'sts', region: 'us-east-1' });
    expect(notes).toEqual([]);
  });

  it('a missing user is a plan error naming the account', async () => {
    const e = await failure(issuerFor({ user: 'nobody' }).list());
    expect(e.code).toBe('aws-user-not-found');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`IAM user nobody does not exist in account ${ACCOUNT}`);
  });

  it('names the profile it tried when no credentials are found', async () => {
    const e = await failure(issuerFor({ profile: 'nope' }).list());
    expect(e.code).toBe('aws-credentials');
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('profile "nope" in ~/.aws/config');
  });

  describe('with signature checks on', () => {
    let adminKey: { accessKeyId: string; secretAccessKey: string };
    beforeEach(async () => {
      adminKey = await createAdmin();
      await moto.requireAuth(true);
      useEnvCredentials(adminKey.accessKeyId, adminKey.secretAccessKey);
    });

    it('verify accepts the new key of the plan user', async () => {
      const issuer = issuerFor();
      const key = await issuer.create();
      await issuer.verify(key);
    });

    it('verify retries a key STS does not know, then fails with exit 3 naming only the key id', async () => {
      const notes: string[] = [];
      const issuer = issuerFor({ verifyTimeout: '1s' }, notes);
      const key = await issuer.create();
      await issuer.delete(key.keyId); // STS now answers InvalidClientTokenId, as for a key not yet propagated
      const e = await failure(issuer.verify(key));
      expect(e.code).toBe('verify-failed');
      expect(e.exitCode).toBe(3);
      expect(e.message).toContain(`new key ${key.keyId} did not authenticate: STS still answers InvalidClientTokenId`);
      expect(notes.length).toBeGreaterThan(1);
      expect(notes.every((n) => n.startsWith(`verify: STS does not know key ${key.keyId} yet`))).toBe(true);
      const shown = JSON.stringify([e.message, e.hint, e.stack, e.details, notes]);
      expect(shown.includes(key.secret)).toBe(false);
    });

    it('verify rejects a wrong secret at once', async () => {
      const issuer = issuerFor();
      const key = await issuer.create();
      const forged: Credential = { keyId: key.keyId, secret: `${key.secret.slice(0, -4)}AAAA` };
      const e = await failure(issuer.verify(forged));
      expect(e.code).toBe('verify-failed');
      expect(e.message).toContain('STS answers SignatureDoesNotMatch');
    });

    it('verify rejects a key of another user', async () => {
      const e = await failure(issuerFor().verify({ keyId: adminKey.accessKeyId, secret: adminKey.secretAccessKey }));
      expect(e.code).toBe('verify-failed');
      expect(e.message).toContain(`authenticates as arn:aws:iam::${ACCOUNT}:user/keyrot-admin, not as IAM user ${USER}`);
    });

    it('AccessDenied names the IAM action the credentials lack', async () => {
      const iam = admin(adminKey);
      await iam.send(new CreateUserCommand({ UserName: 'ci' }));
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'ci' }));
      useEnvCredentials(AccessKey!.AccessKeyId!, AccessKey!.SecretAccessKey!);
      const e = await failure(issuerFor().create());
      expect(e.code).toBe('aws-access-denied');
      expect(e.exitCode).toBe(4);
      expect(e.message).toBe(`arn:aws:iam::${ACCOUNT}:user/ci may not call iam:CreateAccessKey`);
    });

    it('credentials moto does not know are reported as such', async () => {
      useEnvCredentials('AKIAUNKNOWNKEY000000', 'not-a-real-secret-not-a-real-secret-0000');
      const e = await failure(issuerFor().list());
      expect(e.code).toBe('aws-credentials');
      expect(e.message).toContain('the access key id is not valid');
      expect(e.message).toContain('the AWS default chain');
    });
  });
});

describe('aws-iam issuer against a frozen moto (SIGSTOP: connections accepted, nothing answered)', () => {
  it('verifyTimeout bounds the whole verify, a hung request included: exit 4 after ~verifyTimeout, not when moto wakes', async () => {
    const issuer = issuerFor({ verifyTimeout: '2s' }); // per-request timeout left at its 30s default
    const key = await issuer.create();
    moto.freeze();
    const started = performance.now();
    try {
      const error = await failure(issuer.verify(key));
      const took = performance.now() - started;
      expect(took).toBeGreaterThan(1_900);
      expect(took).toBeLessThan(4_000);
      expect([error.code, error.exitCode]).toEqual(['provider-timeout', 4]);
      expect(error.message).toBe('aws-iam user payments-service: verify (sts:GetCallerIdentity, 1 attempt) got no answer within verifyTimeout 2s');
      expect(error.hint).toContain('raise `verifyTimeout` in the plan');
    } finally {
      moto.thaw();
    }
  });

  it('every IAM call has a request timeout: a hung ListAccessKeys fails after its attempts, exit 4', async () => {
    const notes: string[] = [];
    const issuer = issuerFor({ timeout: '300ms' }, notes);
    moto.freeze();
    const started = performance.now();
    try {
      const error = await failure(issuer.list());
      expect(performance.now() - started).toBeLessThan(25_000); // 6 attempts of 300ms plus randomized backoff
      expect([error.code, error.exitCode]).toEqual(['provider-timeout', 4]);
      expect(error.message).toBe('aws-iam user payments-service: iam:ListAccessKeys got no answer within 300ms (each of 6 attempts)');
      expect(notes.filter((n) => n.startsWith('iam:ListAccessKeys: TimeoutError, retrying'))).toHaveLength(5);
    } finally {
      moto.thaw();
    }
    // Once moto answers again, so does the issuer.
    expect(await issuer.list()).toEqual([]);
  });

  it('the credential chain is bounded too: an AssumeRole into a hung STS fails with exit 4', async () => {
    const issuer = issuerFor({ roleArn: `arn:aws:iam::${ACCOUNT}:role/keyrot`, timeout: '300ms' });
    moto.freeze();
    const started = performance.now();
    try {
      const error = await failure(issuer.list());
      expect(performance.now() - started).toBeLessThan(25_000);
      expect([error.code, error.exitCode]).toEqual(['provider-timeout', 4]);
    } finally {
      moto.thaw();
    }
  });

});
