// What the file store adds to the shared contract: it belongs to one plan.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileStore } from '../../src/providers/stores/file/store.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const storeFor = (planName: string, adopt = false) =>
  createFileStore({ type: 'file', path: 'shared.json', adopt }, { planName, planDir: ws.dir, stateDir: ws.dir, env: {}, now: () => new Date(), note: () => undefined });
const context = (plan: string) => ({ plan, rotationId: 'r1', rotatedAt: new Date() });

describe('the file store', () => {
  it("refuses a file another plan manages: the two would drop each other's key", async () => {
    await storeFor('alpha').publish({ keyId: 'A1', secret: 'alpha-secret-0001' }, context('alpha'));
    const beta = storeFor('beta');
    expect(await beta.ownership()).toEqual({ state: 'unmanaged', detail: 'it is managed by keyrot plan "alpha"' });
    await expect(beta.publish({ keyId: 'B1', secret: 'beta-secret-00001' }, context('beta'))).rejects.toMatchObject({ code: 'store-unmanaged' });
    expect(JSON.parse(await readFile(path.join(ws.dir, 'shared.json'), 'utf8')).current.keyId).toBe('A1');
  });

  it('takes it over with adopt: true', async () => {
    await storeFor('alpha').publish({ keyId: 'A1', secret: 'alpha-secret-0001' }, context('alpha'));
    await storeFor('beta', true).publish({ keyId: 'B1', secret: 'beta-secret-00001' }, context('beta'));
    expect(await storeFor('beta').ownership()).toMatchObject({ state: 'managed', plan: 'beta', keyId: 'B1' });
  });
});
