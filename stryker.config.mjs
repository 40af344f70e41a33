// @ts-check
import { existsSync } from 'node:fs';
// Mutation testing of the modules that carry the safety invariants (issue 28; docs/TESTING.md):
// `npm run mutation` runs two sets, each with the tests that exercise it (vitest.mutation.config.ts):
//   MUTATION_SET=engine  the phase table and gates, usage, revoke, confirmation, the output filter
//   MUTATION_SET=state   the state stores and the locks (their tests wait on real processes and clocks)
// A small run while developing: `npx stryker run --mutate src/engine/phases/delete.ts`.
const SETS = {
  engine: [
    'src/engine/phases/*.ts', 'src/engine/gate.ts', 'src/engine/runner.ts', 'src/engine/usage.ts',
    'src/providers/usage/*.ts',
    'src/cli/confirm.ts',
    'src/engine/revoke*.ts',
    'src/secrets/redact.ts',
  ],
  state: ['src/state/file-lock.ts', 'src/state/file-lock-folder.ts', 'src/state/file-lock-in-place.ts', 'src/state/lock-claim.ts', 'src/state/vault-lock.ts', 'src/state/record.ts', 'src/state/file-store.ts'],
};
const set = process.env.MUTATION_SET === 'state' ? 'state' : 'engine';
process.env.MUTATION_SET = set; // read by vitest.mutation.config.ts in the test runner processes
// The tests write real state files (fsync'd): on a memory file system the run is a quarter faster.
if (!process.env.TMPDIR && existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  // String literals here are what people read (messages, evidence, event text: the message table's
  // tests and the end-to-end tests check those) or names compared with ===, whose comparisons are
  // mutated anyway (ConditionalExpression, EqualityOperator). Mutating them doubled the run for little.
  mutator: { excludedMutations: ['StringLiteral'] },
  concurrency: 2,
  mutate: SETS[set],
  // dist/ (git-ignored) is what the tests' child processes run: the sandbox needs it.
  ignorePatterns: ['!dist', 'reports', '.keyrot', '.peers', 'coverage'],
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${set}.json` },
  htmlReporter: { fileName: `reports/mutation/${set}.html` },
  // A static mutant (module-level code: the phase table's rows, schemas, constants) is live from the
  // moment its module loads, so it needs every test, and most hang until the timeout: the 147 of the
  // engine set alone took longer than all the others. docs/TESTING.md says what guards those rows.
  ignoreStatic: true,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
