// A second process for the StateStore contract: takes a plan's lock through the built keyrot
// (dist/), says "locked", and holds it (renewing it) until it is killed.
//   node hold-lock.mjs <--state spec> <plan>
import os from 'node:os';
import { openState } from '../../dist/state/open.js';

const [spec, plan] = process.argv.slice(2);
const store = await openState(spec).of({ dir: process.cwd() });
await store.lock(plan, { host: os.hostname(), pid: process.pid, command: 'keyrot run contract-child.yaml', since: new Date().toISOString() }, 0);
process.stdout.write('locked\n');
setTimeout(function hold() { setTimeout(hold, 60_000); }, 60_000);
