#!/usr/bin/env node
// The crash tests' entry point: keyrot as bin/keyrot.js runs it, with a state-store decorator
// installed, so tests kill keyrot at the save points production has (production reads no switch):
//   KEYROT_TEST_KILL_AFTER=phase:stage   SIGKILL right after the first save of a record in that state
//   KEYROT_TEST_KILL_AFTER=phase:stage#n right after the n-th such save (publish:acting#2: the first
//                                        target got the new key and that was recorded)
//   KEYROT_TEST_KILL_AFTER=ledger:saved#n right after the n-th save of a key ledger: right after a
//                                        ledger-keeping issuer (generated, http) created, deactivated or
//                                        deleted a key, before the rotation record says so
//   KEYROT_TEST_SAVES=FILE               append `phase:stage` of every save to FILE (the points to kill at)
//   KEYROT_TEST_TRACE_LEDGER=1           with KEYROT_TEST_SAVES: `ledger:saved` of every ledger save too
import { appendFileSync } from 'node:fs';

const [killAt, nth] = (process.env.KEYROT_TEST_KILL_AFTER ?? '').split('#');
const trace = process.env.KEYROT_TEST_SAVES;
let seen = 0;

const traceLedger = process.env.KEYROT_TEST_TRACE_LEDGER === '1';
const reached = (at) => {
  if (trace && (traceLedger || !at.startsWith('ledger:'))) appendFileSync(trace, `${at}\n`);
  if (killAt && at === killAt && ++seen >= Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
};
const afterSave = (saved) => reached(`${saved.phase}:${saved.stage}`);

/** A plan's key ledger, with every save reported once it is durable: the issuer's side effect has happened. */
const decorateLedger = (ledger) =>
  new Proxy(ledger, {
    get(target, name) {
      if (name === 'save') {
        return async (...args) => {
          const saved = await target.save(...args);
          reached('ledger:saved');
          return saved;
        };
      }
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

/** The store, with every save it makes reported to afterSave once it is durable. */
const decorateStore = (store) =>
  new Proxy(store, {
    get(target, name) {
      if (name === 'save') {
        return async (state) => {
          const saved = await target.save(state);
          // A save that changes nothing writes nothing: no save point there.
          if (saved.version !== state.version) afterSave(saved);
          return saved;
        };
      }
      if (name === 'ledger') return (plan) => decorateLedger(target.ledger(plan));
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

const cli = await import('../../dist/bundle/main.js');
await cli.main(process.argv, { decorateStore });
