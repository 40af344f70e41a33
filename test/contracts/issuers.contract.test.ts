// The KeyIssuer contract against the in-memory fake and the generated issuer (aws-iam runs it on moto
// in aws-iam.contract.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGeneratedIssuer } from '../../src/providers/issuers/generated/issuer.js';
import { generatedIssuerSchema } from '../../src/providers/issuers/generated/schema.js';
import { fileLedger } from '../../src/state/file-ledger.js';
import { FakeIssuer } from '../helpers/fakes.js';
import { keyIssuerContract } from './key-issuer.contract.js';

keyIssuerContract('in-memory fake', async () => ({ issuer: new FakeIssuer(() => new Date()) }));

keyIssuerContract('generated', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keyrot-issuer-contract-'));
  const config = generatedIssuerSchema.parse({ type: 'generated' });
  const ledger = fileLedger(path.join(dir, 'generated'), 'contract');
  const ctx = { planName: 'contract', planDir: dir, stateDir: dir, ledger, env: {}, now: () => new Date(), note: () => undefined };
  return { issuer: createGeneratedIssuer(config, ctx), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
