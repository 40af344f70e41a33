// The SecretStore contract for aws-secrets-manager, against moto (an independently written AWS server).
import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe } from 'vitest';
import { awsSecretsManagerStoreSchema } from '../../src/providers/stores/aws-secrets-manager/schema.js';
import { createAwsSecretsManagerStore } from '../../src/providers/stores/aws-secrets-manager/store.js';
import { motoWithEnvCredentials } from '../peers/moto-env.js';
import { PLAN, secretStoreContract } from './secret-store.contract.js';

const REGION = 'us-east-1';

describe('aws-secrets-manager on moto', () => {
  // The store finds credentials through the default chain, as in production: the environment here.
  const motoNow = motoWithEnvCredentials();

  secretStoreContract('aws-secrets-manager (moto)', async () => {
    const moto = motoNow();
    const secretId = `keyrot-contract/${randomBytes(6).toString('hex')}`;
    const sm = new SecretsManagerClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const ctx = { planName: PLAN, planDir: process.cwd(), stateDir: process.cwd(), env: process.env, now: () => new Date(), note: () => undefined };
    const make = (adopt: boolean) =>
      createAwsSecretsManagerStore(
        awsSecretsManagerStoreSchema.parse({
          type: 'aws-secrets-manager', region: REGION, secretId, endpoint: moto.endpoint, adopt,
          data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' },
        }),
        ctx,
      );
    const versions = async () =>
      (await sm.send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }))).Versions ?? [];
    return {
      store: make(false),
      adopting: () => make(true),
      writeUnmanaged: async () =>
        void (await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify({ secret_access_key: randomBytes(20).toString('hex') }) }))),
      writeOver: async () =>
        void (await sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ secret_access_key: randomBytes(20).toString('hex') }) }))),
      // Secrets Manager cannot delete one version: "holds" means a version some staging label still
      // reaches. A version without labels is deprecated; AWS removes it itself, in its own time.
      holds: async (secret) => {
        for (const v of await versions().catch(() => [])) {
          if (!v.VersionStages?.length) continue;
          const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: v.VersionId }));
          if (out.SecretString?.includes(secret)) return true;
        }
        return false;
      },
      revision: async () => JSON.stringify((await versions().catch(() => [])).map((v) => [v.VersionId, v.VersionStages]).sort()),
    };
  });
});
