// The in-process engine tests' starting point: a fresh workspace, a fake clock, and a fake issuer (on
// that clock) and fake store.
import type { LoadedPlan } from '../../src/plan/load.js';
import { planObject } from './engine.js';
import { FakeClock } from './fake-clock.js';
import { FakeIssuer, FakeStore } from './fakes.js';
import { workspace, type Workspace } from './workspace.js';

export const MIN = 60_000;
export const DAY = 24 * 60 * MIN;

export interface Rig {
  ws: Workspace;
  clock: FakeClock;
  issuer: FakeIssuer;
  store: FakeStore;
}

export function fakeRig(): Rig {
  const clock = new FakeClock();
  return { ws: workspace(), clock, issuer: new FakeIssuer(() => clock.now()), store: new FakeStore() };
}

/** The rig's plan: `api`, a generated key published to one file target (the fakes stand in for both). */
export const rigPlan = ({ ws }: Pick<Rig, 'ws'>, extra: Record<string, unknown> = {}): LoadedPlan =>
  planObject(ws.dir, { name: 'api', source: { type: 'generated' }, publish: [{ type: 'file' }], ...extra });

/** The key consumers use now: the issuer's one active key (created at `createdAt`), served by the store. */
export function servedKey({ issuer, store, clock }: Rig, createdAt = clock.now()): string {
  const id = issuer.seed('active', createdAt);
  store.current = { keyId: id, secret: issuer.keys.find((k) => k.id === id)!.secret };
  return id;
}
