// Issue 17: one AWS client (and credential chain) per identity, shared by every plan of the process
// that calls AWS as it; plans that differ in anything that changes whom or how they call get their own.
import { IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { identityKey, keepAliveAgents, resetAwsClients, sharedClientCount } from '../../src/providers/aws-clients.js';
import { sharedIdentity } from '../../src/providers/issuers/aws-iam/identity.js';
import { createAwsIamIssuer } from '../../src/providers/issuers/aws-iam/issuer.js';
import { awsIamIssuerSchema } from '../../src/providers/issuers/aws-iam/schema.js';
import { createAwsSecretsManagerStore } from '../../src/providers/stores/aws-secrets-manager/store.js';
import { awsSecretsManagerStoreSchema } from '../../src/providers/stores/aws-secrets-manager/schema.js';

const iam = mockClient(IAMClient);
const sm = mockClient(SecretsManagerClient);

const ENV = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-but-a-secret', HOME: '/home/keyrot' };
const providerContext = (env: NodeJS.ProcessEnv) => ({ planName: 'p', planDir: '/plans', stateDir: '/plans/.keyrot', env, now: () => new Date(), note: () => undefined });
const iamConfig = (fields: Record<string, unknown> = {}) => awsIamIssuerSchema.parse({ type: 'aws-iam', user: 'svc-a', region: 'us-east-1', ...fields });

/** The IAM client each issuer's list() was sent through. */
async function clientsOf(plans: Array<{ fields?: Record<string, unknown>; env?: NodeJS.ProcessEnv }>): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (const plan of plans) {
    iam.resetHistory();
    await createAwsIamIssuer(iamConfig(plan.fields), providerContext(plan.env ?? ENV)).list();
    seen.push(iam.send.thisValues[0]);
  }
  return seen;
}

beforeEach(() => {
  resetAwsClients();
  iam.reset();
  sm.reset();
  iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
  sm.on(DescribeSecretCommand).resolves({ Tags: [{ Key: 'managed-by', Value: 'keyrot' }] });
});
afterAll(() => resetAwsClients());

describe('aws-iam: one IAM client per identity', () => {
  it('two plans for different users of the same identity share one client; a different identity gets its own', async () => {
    const [a, b, otherRegion, otherEndpoint, otherProfile, otherRole, otherTimeout] = await clientsOf([
      { fields: { user: 'svc-a' } },
      { fields: { user: 'svc-b', verifyTimeout: '2m', deleteInactiveKey: true } }, // neither changes whom or how IAM is called
      { fields: { region: 'eu-west-1' } },
      { fields: { endpoint: 'http://127.0.0.1:4566' } },
      { fields: { profile: 'ops' } },
      { fields: { roleArn: 'arn:aws:iam::123456789012:role/keyrot' } },
      { fields: { timeout: '5s' } },
    ]);
    expect(a).toBeInstanceOf(IAMClient);
    expect(b).toBe(a);
    const all = [a, otherRegion, otherEndpoint, otherProfile, otherRole, otherTimeout];
    expect(new Set(all).size).toBe(all.length);
  });

  it('credentials from another environment (another AWS_* variable) make another identity', async () => {
    const [a, again, otherKey, otherProfile] = await clientsOf([
      { env: ENV },
      { env: { ...ENV } },
      { env: { ...ENV, AWS_ACCESS_KEY_ID: 'AKIAOTHER' } },
      { env: { ...ENV, AWS_PROFILE: 'other' } },
    ]);
    expect(again).toBe(a);
    expect(otherKey).not.toBe(a);
    expect(otherProfile).not.toBe(a);
    expect(otherProfile).not.toBe(otherKey);
  });

  it('shares the credential chain too: one chain for the identity, whichever plan asks', () => {
    const a = sharedIdentity(iamConfig({ user: 'svc-a' }), ENV);
    const b = sharedIdentity(iamConfig({ user: 'svc-b' }), ENV);
    expect(b.auth.credentials).toBe(a.auth.credentials);
    expect(b.sts).toBe(a.sts);
    expect(sharedClientCount()).toBe(1);
  });

  it('resetAwsClients forgets every client: the next plan builds a new one', async () => {
    const [before] = await clientsOf([{}]);
    resetAwsClients();
    expect(sharedClientCount()).toBe(0);
    const [after] = await clientsOf([{}]);
    expect(after).not.toBe(before);
  });
});

describe('aws-secrets-manager: one client per identity', () => {
  const storeFor = (fields: Record<string, unknown>, env: NodeJS.ProcessEnv = ENV) =>
    createAwsSecretsManagerStore(
      awsSecretsManagerStoreSchema.parse({ type: 'aws-secrets-manager', region: 'us-east-1', secretId: 'app/a', value: '{{secret}}', ...fields }),
      providerContext(env),
    );

  it('two stores of different secrets with the same identity share one client; another region does not', async () => {
    const seen: unknown[] = [];
    for (const fields of [{ secretId: 'app/a' }, { secretId: 'app/b' }, { region: 'eu-west-1' }, { profile: 'ops' }]) {
      sm.resetHistory();
      await storeFor(fields).ownership();
      seen.push(sm.send.thisValues[0]);
    }
    const [a, b, otherRegion, otherProfile] = seen;
    expect(a).toBeInstanceOf(SecretsManagerClient);
    expect(b).toBe(a);
    expect(new Set([a, otherRegion, otherProfile]).size).toBe(3);
  });
});

describe('the cache key and the connection pool', () => {
  it('holds no secret: the environment enters the key only as a digest', () => {
    const key = identityKey({ region: 'us-east-1' }, ENV);
    expect(key).not.toContain(ENV.AWS_SECRET_ACCESS_KEY);
    expect(key).not.toContain(ENV.AWS_ACCESS_KEY_ID);
    expect(identityKey({ region: 'us-east-1' }, { ...ENV })).toBe(key);
    expect(identityKey({ region: 'us-east-1' }, { ...ENV, AWS_SECRET_ACCESS_KEY: 'another' })).not.toBe(key);
    expect(identityKey({ region: 'us-east-1' }, { ...ENV, UNRELATED: 'x' })).toBe(key);
  });

  it('sends over keep-alive agents with a bounded socket count', () => {
    const { httpAgent, httpsAgent } = keepAliveAgents();
    for (const agent of [httpAgent, httpsAgent]) {
      expect((agent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
      expect(agent.maxSockets).toBeGreaterThan(0);
      expect(agent.maxSockets).toBeLessThan(Infinity);
    }
    expect(keepAliveAgents().httpAgent).toBe(httpAgent);
  });
});
