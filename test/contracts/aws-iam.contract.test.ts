// The KeyIssuer contract for aws-iam, on moto with signature checks on (as AWS checks them), so a
// wrong secret is really refused.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, vi } from 'vitest';
import { createAwsIamIssuer } from '../../src/providers/issuers/aws-iam/issuer.js';
import { awsIamIssuerSchema } from '../../src/providers/issuers/aws-iam/schema.js';
import { startMoto, type Moto } from '../peers/moto.js';
import { keyIssuerContract } from './key-issuer.contract.js';

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
}, 300_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await moto?.stop();
});

const emptyAws = mkdtempSync(join(tmpdir(), 'keyrot-aws-contract-'));
writeFileSync(join(emptyAws, 'config'), '');

keyIssuerContract('aws-iam (moto)', async () => {
  await moto.reset();
  const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await iam.send(new CreateUserCommand({ UserName: 'contract-user' }));
  await iam.send(new CreateUserCommand({ UserName: 'keyrot-admin' }));
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  await iam.send(new PutUserPolicyCommand({ UserName: 'keyrot-admin', PolicyName: 'all', PolicyDocument: policy }));
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'keyrot-admin' }));
  // keyrot finds its own credentials the way it does in production: the default chain, here the environment.
  vi.stubEnv('AWS_ACCESS_KEY_ID', AccessKey!.AccessKeyId!);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', AccessKey!.SecretAccessKey!);
  vi.stubEnv('AWS_CONFIG_FILE', join(emptyAws, 'config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(emptyAws, 'config'));
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  await moto.requireAuth(true);

  const config = awsIamIssuerSchema.parse({ type: 'aws-iam', user: 'contract-user', region: 'us-east-1', endpoint: moto.endpoint, verifyTimeout: '5s' });
  const ctx = { planName: 'contract', planDir: '.', stateDir: '.keyrot', env: process.env, now: () => new Date(), note: () => undefined };
  return { issuer: createAwsIamIssuer(config, ctx) };
});
