// aws-ssm against moto, beyond the shared contract: what consumers read during the overlap, how the
// old key's versions leave the history, what stops that, and what a rollback can read back.
import { randomBytes } from 'node:crypto';
import { GetParameterCommand, GetParameterHistoryCommand, LabelParameterVersionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsSsmStoreSchema } from '../../src/providers/stores/aws-ssm/schema.js';
import { createAwsSsmStore } from '../../src/providers/stores/aws-ssm/store.js';
import { writesToPushOut } from '../../src/providers/stores/aws-ssm/versions.js';
import type { SecretStore } from '../../src/providers/types.js';
import { failure, newCredential, shown } from '../contracts/secret-store.contract.js';
import { type Moto, startMoto } from '../peers/moto.js';

const REGION = 'us-east-1';
let moto: Moto;
let ssm: SSMClient;
let name: string;
let store: SecretStore;
const notes: string[] = [];
const context = () => ({ plan: 'payments', rotationId: `r-${randomBytes(3).toString('hex')}`, rotatedAt: new Date() });

beforeAll(async () => {
  moto = await startMoto();
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  vi.stubEnv('AWS_PROFILE', undefined);
  ssm = new SSMClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}, 300_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await moto?.stop();
});
beforeEach(() => {
  name = `/payments/${randomBytes(5).toString('hex')}`;
  notes.length = 0;
  store = createAwsSsmStore(
    awsSsmStoreSchema.parse({ type: 'aws-ssm', region: REGION, name, endpoint: moto.endpoint, value: '{{secret}}' }),
    { planName: 'payments', planDir: '.', stateDir: '.', env: process.env, now: () => new Date(), note: (m) => notes.push(m) },
  );
});

async function history() {
  const all = [];
  let NextToken: string | undefined;
  do {
    const out = await ssm.send(new GetParameterHistoryCommand({ Name: name, WithDecryption: true, MaxResults: 50, NextToken }));
    all.push(...(out.Parameters ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  return all;
}
const read = async (selector = '') => (await ssm.send(new GetParameterCommand({ Name: `${name}${selector}`, WithDecryption: true }))).Parameter;

describe('aws-ssm', () => {
  it('during the overlap NAME:keyrot-previous serves the old key; deactivate retires it, reactivate brings it back, and a rollback can read it', async () => {
    const [k1, k2] = [newCredential(), newCredential()];
    await store.publish(k1, context());
    await store.publish(k2, context());
    expect((await read())?.Value).toBe(k2.secret);
    expect((await read(':keyrot-previous'))?.Value).toBe(k1.secret);

    await store.onDeactivate(k1.keyId);
    await expect(read(':keyrot-previous')).rejects.toThrow();
    expect((await read(':keyrot-retired'))?.Value).toBe(k1.secret);
    expect(shown(await store.readRetired!(k1.keyId))).toBe(shown(k1));

    await store.onReactivate(k1.keyId);
    expect((await read(':keyrot-previous'))?.Value).toBe(k1.secret);
  });

  it('delete pushes every version of the old key out of the 100-version history, and says so; the new key is served throughout', async () => {
    const [k1, k2] = [newCredential(), newCredential()];
    await store.publish(k1, context());
    await store.publish(k2, context());
    await store.onDeactivate(k1.keyId);
    expect(await store.onDelete(k1.keyId)).toBe('changed');

    const versions = await history();
    expect(versions.length).toBe(100);
    expect(versions.some((v) => v.Value === k1.secret)).toBe(false);
    expect(versions.every((v) => v.Value === k2.secret)).toBe(true);
    expect(shown(await store.readBack())).toBe(shown(k2));
    expect(notes.join('\n')).toContain('writing the current value 99 more times');
    expect(await store.readRetired!(k1.keyId)).toBeUndefined();
    expect(await store.onDelete(k1.keyId)).toBe('unchanged');
  });

  it('refuses to push out a version someone else labelled (Parameter Store would keep it), naming the label, before writing anything', async () => {
    const [k1, k2] = [newCredential(), newCredential()];
    await store.publish(k1, context());
    await ssm.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ['prod-pinned'] }));
    await store.publish(k2, context());
    const before = (await history()).length;
    const e = await failure(store.onDelete(k1.keyId));
    expect(e.code).toBe('provider-failed');
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('version 1 carries the label prod-pinned');
    expect(e.message).toContain(`aws ssm label-parameter-version --name ${name} --parameter-version 2 --labels prod-pinned`);
    expect((await history()).length).toBe(before);
  });

  it('leaves the key consumers read now alone (a revoke, before its replacement is published)', async () => {
    const k1 = newCredential();
    await store.publish(k1, context());
    expect(await store.onDelete(k1.keyId)).toBe('unchanged');
    expect((await history()).length).toBe(1);
    expect(notes.join('\n')).toContain(`key ${k1.keyId} is still the latest version`);
  });

  it('counts the writes that push a version out', () => {
    expect(writesToPushOut(2, 1)).toBe(99);
    expect(writesToPushOut(150, 149)).toBe(99);
    expect(writesToPushOut(250, 100)).toBe(0);
  });
});
