// The SecretStore contract for aws-ssm, against moto (an independently written AWS server that keeps
// Parameter Store's 100-version history and refuses to drop a labelled oldest version, as AWS does).
import { randomBytes } from 'node:crypto';
import { GetParameterHistoryCommand, ListTagsForResourceCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe } from 'vitest';
import { awsSsmStoreSchema } from '../../src/providers/stores/aws-ssm/schema.js';
import { createAwsSsmStore } from '../../src/providers/stores/aws-ssm/store.js';
import { motoWithEnvCredentials } from '../peers/moto-env.js';
import { PLAN, secretStoreContract } from './secret-store.contract.js';

const REGION = 'us-east-1';

describe('aws-ssm on moto', () => {
  // The store finds credentials through the default chain, as in production: the environment here.
  const motoNow = motoWithEnvCredentials();

  secretStoreContract('aws-ssm (moto)', async () => {
    const moto = motoNow();
    const name = `/keyrot-contract/${randomBytes(6).toString('hex')}`;
    const ssm = new SSMClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const ctx = { planName: PLAN, planDir: process.cwd(), stateDir: process.cwd(), env: process.env, now: () => new Date(), note: () => undefined };
    const make = (adopt: boolean) =>
      createAwsSsmStore(
        awsSsmStoreSchema.parse({
          type: 'aws-ssm', region: REGION, name, endpoint: moto.endpoint, adopt, kmsKeyId: 'alias/keyrot-contract',
          data: { access_key_id: '{{keyId}}', secret_access_key: '{{secret}}' },
        }),
        ctx,
      );
    const history = async () => {
      const all = [];
      let NextToken: string | undefined;
      do {
        const out = await ssm.send(new GetParameterHistoryCommand({ Name: name, WithDecryption: true, MaxResults: 50, NextToken })).catch(() => undefined);
        all.push(...(out?.Parameters ?? []));
        NextToken = out?.NextToken;
      } while (NextToken);
      return all;
    };
    return {
      store: make(false),
      adopting: () => make(true),
      writeUnmanaged: async () =>
        void (await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: JSON.stringify({ secret_access_key: randomBytes(20).toString('hex') }) }))),
      writeOver: async () =>
        void (await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Overwrite: true, Value: JSON.stringify({ secret_access_key: randomBytes(20).toString('hex') }) }))),
      // Every version Parameter Store still keeps, whatever its label: GetParameterHistory returns them all.
      holds: async (secret) => (await history()).some((p) => p.Value?.includes(secret)),
      revision: async () => {
        const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name })).catch(() => undefined);
        return JSON.stringify([(await history()).map((p) => [p.Version, p.Labels]), tags?.TagList]);
      },
    };
  });
});
