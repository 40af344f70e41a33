// Why each mutant that survives `npm run mutation` is left alive (issue 28; docs/TESTING.md renders
// the list from the Stryker reports and this file: node scripts/mutation-summary.mjs --write docs/TESTING.md).
// A survivor with no reason here is flagged there: kill it with a test, or add its reason.
//
// Each reason matches mutants by `file`, and optionally by `line` (the text of the mutated source
// line, so a key survives edits elsewhere in the file), `code` (the text of the span replaced),
// `mutator` (Stryker's mutator name) and `replacement`: a string must be equal, a RegExp must match.
// The first reason that matches counts, so narrow ones come before broad ones. Each reason is one
// honest sentence: why the mutant is equivalent, or why no behaviour a user relies on depends on it,
// or which test outside Stryker's run (end-to-end, on real peers) guards it.

/** @type {{ id: string, file: string | RegExp, line?: string | RegExp, code?: string | RegExp, mutator?: string | RegExp, replacement?: string | RegExp, reason: string }[]} */
export const REASONS = [
  // ---- everywhere -------------------------------------------------------------------------------
  {
    id: 'text for people',
    file: /^src\//,
    line: /ctx\.emit\(\{ type: 'note'|reporter\.event\(\{ type: '(note|warning)'|emit\(\{ type: '(note|warning)'/,
    mutator: /ObjectLiteral|ArrayDeclaration|ConditionalExpression|LogicalOperator|BlockStatement|EqualityOperator|MethodExpression|ArrowFunction|OptionalChaining/,
    reason: 'text for people (a note or warning event): the unit tests assert what keyrot decides, the end-to-end tests and the message table\'s tests what it prints.',
  },

  // ---- confirmation -----------------------------------------------------------------------------
  {
    id: 'confirm: Ctrl-C as a key',
    file: 'src/cli/confirm.ts',
    line: /rl\.on\('SIGINT'/,
    reason: 'Ctrl-C as a key reaches readline only from a raw-mode terminal: test/e2e/terminal.e2e.test.ts, in a pseudo-terminal.',
  },
  {
    id: 'confirm: listener once',
    file: 'src/cli/confirm.ts',
    line: /once: true/,
    reason: 'equivalent: the listener is removed in `finally` either way.',
  },
  {
    id: 'confirm: abort',
    file: 'src/cli/confirm.ts',
    line: /code === 'ABORT_ERR' \|\| asked\.signal\.aborted/,
    reason: 'equivalent: rl.question rejects only when its signal aborts (on Node 20 it stays pending when the input closes), so `code === \'ABORT_ERR\'` and `asked.signal.aborted` are true together and either decides; the whole condition made false is killed.',
  },

  // ---- revoke -------------------------------------------------------------------------------------
  {
    id: 'revoke: aws-iam owner lookup',
    file: 'src/engine/revoke-owner.ts',
    line: /owner|scope|holder|principal|direct\.push/,
    reason: 'the one-call owner lookup only aws-iam has (issuer.owner): run against moto by test/e2e/revoke-search.e2e.test.ts; no in-process issuer has one.',
  },
  {
    id: 'revoke-asker: aws-iam owner lookup',
    file: 'src/engine/revoke-asker.ts',
    line: /holderIn|scopesDown|holders|owner|holderOf/,
    reason: 'the one-call owner lookup only aws-iam has (issuer.owner): run against moto by test/e2e/revoke-search.e2e.test.ts; no in-process issuer has one.',
  },

  // ---- locks --------------------------------------------------------------------------------------
  {
    id: 'locks: the exact millisecond',
    file: /-lock\.ts$/,
    line: /Date\.now\(\)/,
    mutator: 'EqualityOperator',
    replacement: /[<>]=?/,
    reason: 'equivalent in practice: `>` for `>=` (or back) on the real clock differs only at the exact millisecond.',
  },

  // ---- state stores -------------------------------------------------------------------------------
  {
    id: 'file store: remembered record',
    file: 'src/state/file-store.ts',
    line: /\bknown\b/,
    mutator: /ConditionalExpression|LogicalOperator|ObjectLiteral|BlockStatement/,
    reason: 'equivalent: the record remembered from the last load or save only spares a read; forgotten (or never remembered), the save reads the file and decides the same (a changed file is still noticed: the mutant that trusts a stale memory is killed).',
  },

  // ---- output filter ------------------------------------------------------------------------------
  {
    id: 'redact: past the end',
    file: 'src/secrets/redact.ts',
    line: /at <= out\.length - MIN_SECRET/,
    mutator: 'ArithmeticOperator',
    reason: 'equivalent: past the end, the slice looked up is shorter than every remembered prefix (each MIN_SECRET long), so nothing more is found.',
  },

  // ---- phase table and runner ---------------------------------------------------------------------
  {
    id: 'runner: restart limit',
    file: 'src/engine/runner.ts',
    line: /\+\+restarts > MAX_RESTARTS/,
    reason: 'unreachable with the phases there are: a walk is redirected at most once (deactivate back to verify only once verify succeeded, after which verify refuses with new-key-lost instead of redirecting; verify back to create only before that), so the limit of two is never reached; it guards a future phase that loops.',
  },
];
