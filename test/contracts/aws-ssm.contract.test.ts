// The SecretStore contract for aws-ssm, against moto (an independently written AWS server that keeps
// Parameter Store's 100-version history and refuses to drop a labelled oldest version, as AWS does).
import { randomBytes } from 'node:crypto';
import { GetParameterHistoryCommand, ListTagsForResourceCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, vi } from 'vitest';
import { awsSsmStoreSchema } from '../../src/providers/stores/aws-ssm/schema.js';
import { createAwsSsmStore } from '../../src/providers/stores/aws-ssm/store.js';
import { type Moto, startMoto } from '../peers/moto.js';
import { PLAN, secretStoreContract } from './secret-store.contract.js';

const REGION = 'us-east-1';

describe('aws-ssm on moto', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    // The store finds credentials through the default chain, as in production: the environment here.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  }, 300_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await moto?.stop();
  });

  secretStoreContract('aws-ssm (moto)', async () => {
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
