// moto for a describe block whose stores use the AWS default chain (kept apart from moto.ts, which the
// global setup loads outside any test).
import { afterAll, beforeAll, vi } from 'vitest';
import { type Moto, startMoto } from './moto.js';

/**
 * moto for the enclosing describe block, for stores that find credentials through the AWS default
 * chain as in production: the environment here (testing/testing, no profile, no instance metadata).
 */
export function motoWithEnvCredentials(): () => Moto {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  }, 300_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await moto?.stop();
  });
  return () => moto;
}
