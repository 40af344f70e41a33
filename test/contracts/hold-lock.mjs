// A second process for the StateStore contract: takes a plan's lock through the built keyrot
// (dist/), says "locked", and holds it (renewing it) until it is killed; says "lost: <why>" if it loses it.
//   node hold-lock.mjs <--state spec> <plan>
import os from 'node:os';
import { openState } from '../../dist/state/open.js';

const [spec, plan] = process.argv.slice(2);
const store = await openState(spec).of({ dir: process.cwd() });
const lock = await store.lock(plan, { host: os.hostname(), pid: process.pid, command: 'keyrot run contract-child.yaml', since: new Date().toISOString() }, 0);
process.stdout.write('locked\n');
// As the runner does before each step: say so once the lock is lost (taken over after a stall).
setTimeout(function watch() {
  if (lock.lost) process.stdout.write(`lost: ${lock.lost}\n`);
  else setTimeout(watch, 100);
}, 100);
setTimeout(function hold() { setTimeout(hold, 60_000); }, 60_000);
