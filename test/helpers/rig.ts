// The in-process engine tests' starting point: a fresh workspace, a fake clock, and a fake issuer (on
// that clock) and fake store.
import { FakeClock } from './fake-clock.js';
import { FakeIssuer, FakeStore } from './fakes.js';
import { workspace, type Workspace } from './workspace.js';

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
