// The tests `npm run mutation` (Stryker, stryker.config.mjs) runs against each mutant: unit tests and
// contract suites that need no peer, in-process and done in seconds; never the end-to-end suite.
// MUTATION_SET=state picks the state stores' and locks' own unit tests, which the engine's mutants
// need not run; anything else, the engine's.
import { defineConfig } from 'vitest/config';

const STATE = [
  'test/unit/file-lock.test.ts', 'test/unit/file-lock-errors.test.ts', 'test/unit/file-lock-folder.test.ts', 'test/unit/file-lock-race.test.ts',
  'test/unit/vault-lock.test.ts', 'test/unit/state-store.test.ts',
  'test/contracts/file-state.contract.test.ts',
];
// The lock raced by eight processes and taken over with real 2 s waits: seconds per test (npm test
// runs it). file-lock.test.ts checks the same time rules on aged lock files.
const SLOW = ['test/unit/lock.test.ts'];

export default defineConfig({
  test: process.env.MUTATION_SET === 'state'
    ? { include: STATE, testTimeout: 30_000 }
    : {
        include: ['test/unit/**/*.test.ts', 'test/contracts/file.contract.test.ts', 'test/contracts/issuers.contract.test.ts'],
        exclude: [...STATE, ...SLOW],
        testTimeout: 30_000,
        // One module graph for all the files of a run: re-importing the engine for each file was most of
        // a mutant's time. They share nothing a test relies on (they pass in any order, isolated or not).
        isolate: false,
      },
});
