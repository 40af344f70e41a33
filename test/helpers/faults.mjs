#!/usr/bin/env node
// The crash tests' entry point: keyrot as bin/keyrot.js runs it, with a state-store decorator
// installed, so tests kill keyrot at the save points production has (production reads no switch):
//   KEYROT_TEST_KILL_AFTER=phase:stage   SIGKILL right after the first save of a record in that state
//   KEYROT_TEST_KILL_AFTER=phase:stage#n right after the n-th such save (publish:acting#2: the first
//                                        target got the new key and that was recorded)
//   KEYROT_TEST_SAVES=FILE               append `phase:stage` of every save to FILE (the points to kill at)
import { appendFileSync } from 'node:fs';

const [killAt, nth] = (process.env.KEYROT_TEST_KILL_AFTER ?? '').split('#');
const trace = process.env.KEYROT_TEST_SAVES;
let seen = 0;

const afterSave = (saved) => {
  const at = `${saved.phase}:${saved.stage}`;
  if (trace) appendFileSync(trace, `${at}\n`);
  if (killAt && at === killAt && ++seen >= Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
};

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
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

const cli = await import('../../dist/bundle/main.js');
await cli.main(process.argv, { decorateStore });
