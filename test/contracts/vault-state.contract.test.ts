// The Vault state backend (--state vault://secret/<prefix>) against the StateStore contract, on
// OpenBao 2.7.2 (test/peers/openbao.ts), with a token limited to the prefix by an ACL policy.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { openState } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/store.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { stateStoreContract } from './state-store.contract.js';

const LEASE_MS = 4_000;
let bao: OpenBao;
let token: string;

beforeAll(async () => {
  bao = await startOpenBao();
  // What the README asks operators to grant: data and metadata under the prefix, nothing else.
  await bao.policy('keyrot-state', [
    'path "secret/data/keyrot-contract/*" { capabilities = ["create", "read", "update"] }',
    'path "secret/metadata/keyrot-contract/*" { capabilities = ["list", "read"] }',
  ].join('\n'));
  token = await bao.token(['keyrot-state']);
}, 120_000);
afterAll(async () => {
  await bao?.stop();
});

stateStoreContract('vault (OpenBao)', async () => {
  const spec = `vault://secret/keyrot-contract/${randomUUID()}?lease=${LEASE_MS / 1000}s`;
  const env = { VAULT_ADDR: bao.address, VAULT_TOKEN: token };
  const open = (): Promise<StateStore> => openState(spec, env).of({ dir: process.cwd() });
  const store = await open();
  // Every handle is a new store object (its own login), as on another host.
  const others: StateStore[] = [await open(), await open(), await open(), await open()];
  let n = 0;
  return {
    store,
    spec,
    env,
    reopen: () => others[n++ % others.length]!,
    // Not renewed for a whole lease, as this process saw it: never sooner.
    takeoverAfterMs: LEASE_MS - 100,
    takeoverWithinMs: LEASE_MS + 5_000,
  };
});
