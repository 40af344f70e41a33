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
    id: 'already returns undefined',
    file: /^src\//,
    code: /^\(\) => undefined$/,
    mutator: 'ArrowFunction',
    reason: 'equivalent: the function replaced already returns undefined (`.catch(() => undefined)`, and the like).',
  },
  {
    id: 'message details',
    file: /^src\//,
    line: /new KeyrotError\(|\bhold\(|holdAndGoBack\(|holdAndRollBack\(|\bbad\(/,
    mutator: /ObjectLiteral|ArrowFunction|MethodExpression|ArithmeticOperator|OptionalChaining|LogicalOperator/,
    code: /^(?!.*\b(if|return)\b)/,
    reason: 'only the details that fill in a message\'s text are lost or changed (the code, the exit status and what is held or refused stay the same); the messages\' wording is checked by the message table\'s tests and the end-to-end tests, which Stryker does not run.',
  },
  {
    id: 'audit text',
    file: /^src\//,
    line: /(ctx|options)\.(record|audit)\(/,
    mutator: /ConditionalExpression|EqualityOperator|LogicalOperator|ObjectLiteral|ArrayDeclaration|OptionalChaining|BlockStatement/,
    reason: 'changes an audit-log entry only (a step recorded as skipped, or its wording): nothing done to a key or a store depends on it; the audit tests check the records of the steps that act.',
  },
  {
    id: 'preview of calls',
    file: /^src\/engine\/phases\//,
    line: /calls: |explain\(/,
    reason: 'what `keyrot plan` lists as the calls a phase would make (text; the preview performs nothing); test/unit/preview.test.ts checks each phase\'s row, not every store and issuer variant.',
  },
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
  {
    id: 'file lock: holder record shape',
    file: 'src/state/file-lock.ts',
    line: /return value && typeof value === 'object'|^\s*\} catch \{$/,
    reason: 'equivalent: `null`, a number or a string parsed from holder.json has no numeric `pid`, so the checks left still say "no holder", and a JSON.parse failure returns undefined with or without the catch\'s body (a missing host or a pid that is not a number are killed: file-lock.test.ts "a holder record missing its host…").',
  },
  {
    id: 'file lock: readdir of the folder just made',
    file: 'src/state/file-lock.ts',
    line: /readdir\(dir\)\.catch/,
    reason: 'lockPlan made the folder (ensureDir) just before; readdir fails only if it is removed in that instant, and the next step fails then anyway.',
  },
  {
    id: 'file lock: undefined mtime or pid',
    file: 'src/state/file-lock.ts',
    code: /^(mtime !== undefined|since !== undefined|pid !== process\.pid)$/,
    mutator: 'ConditionalExpression',
    reason: 'equivalent: with an undefined time the age is NaN, which is never past the limit; our own pid is alive, so `!isAlive(pid)` keeps it either way.',
  },
  {
    id: 'file lock: force on rm',
    file: 'src/state/file-lock.ts',
    line: /await rm\(/,
    mutator: 'BooleanLiteral',
    reason: 'only a race: `force: false` fails when the folder removed has vanished in between (another run removed it at the same instant); no test stages that instant.',
  },
  {
    id: 'file lock: rename failure branch',
    file: 'src/state/file-lock.ts',
    line: /rename\(lockDir, aside\)\.then\(\(\) => true, \(\) => false\)/,
    replacement: /^(\(\) => undefined|true)$/,
    code: /^(\(\) => false|false)$/,
    reason: 'equivalent: when the rename fails (the lock is gone already) the `rm` that follows has nothing to remove and is forced.',
  },
  {
    id: 'file lock: mode of the holder file',
    file: 'src/state/file-lock.ts',
    line: /writeFile\(path\.join\(tmp, HOLDER\)/,
    mutator: 'ObjectLiteral',
    reason: 'the holder file inside the 0700 lock folder (the folder\'s mode is tested): without its own 0600 nobody else can reach it either.',
  },
  {
    id: 'file lock: EEXIST from rename',
    file: 'src/state/file-lock.ts',
    line: /code === 'ENOTEMPTY' \|\| code === 'EEXIST' \|\| code === 'ENOTDIR'/,
    code: /^code === 'EEXIST'$/,
    reason: 'equivalent on Linux: renaming a folder onto a lock folder answers ENOTEMPTY there; EEXIST is what other systems (and some network file systems) answer for the same, kept for them.',
  },
  {
    id: 'file lock: takeover claim error kinds',
    file: 'src/state/file-lock.ts',
    line: /code === 'EEXIST' && since !== undefined && Date\.now\(\) - since > DEAD_HOLDER_STALE_MS/,
    mutator: /LogicalOperator|ConditionalExpression/,
    code: /^\(e as NodeJS\.ErrnoException\)\.code === 'EEXIST'/,
    reason: 'equivalent: a claim that fails with anything but EEXIST means the lock folder is gone, and then there is no claim time (`since` undefined, NaN age) to clear it by; the fresh claim left alone is killed (file-lock.test.ts "a fresh takeover claim…").',
  },
  {
    id: 'file lock: fresh lock between judgement and claim',
    file: 'src/state/file-lock.ts',
    line: /readHolder\(lockDir\)\)\?\.token !== judged|rm\(claim, \{ recursive: true, force: true \}\); \/\/ a fresh lock/,
    reason: 'only a race between two runs: a fresh lock must appear between one run judging the old one stale and its claim; test/unit/lock.test.ts races eight processes for it (npm test; seconds per test, so not in the mutation set), no in-process test can stage it.',
  },
  {
    id: 'file lock: retry pacing',
    file: 'src/state/file-lock.ts',
    line: /\+\+quick > QUICK_RETRIES|const again = async \(\) => \{/,
    reason: 'only how often the loop retries before it pauses: the lock is taken, or refused, at the same moments (a spin uses CPU, which no test measures).',
  },
  {
    id: 'file lock: released in between',
    file: 'src/state/file-lock.ts',
    line: /if \(mtime === undefined\) \{/,
    reason: 'equivalent in outcome: a lock released between the attempt and the look is retried after a pause instead of at once (NaN ages are never stale, and the deadline check is NaN too).',
  },
  {
    id: 'locks: state object',
    file: /-lock\.ts$/,
    line: /const state: \{ lost: string \| undefined \} = \{ lost: undefined \};/,
    reason: 'equivalent: `{}` leaves `lost` undefined, the same as `{ lost: undefined }`.',
  },
  {
    id: 'file lock: heartbeat after loss',
    file: 'src/state/file-lock.ts',
    line: /^\s*if \(state\.lost\) return;$/,
    reason: 'equivalent: once lost, the next beat finds another token (or none) again and sets the same kind of reason; it never refreshes a lock that is not ours.',
  },
  {
    id: 'vault lock: lease text checks',
    file: 'src/state/vault-lock.ts',
    line: /typeof text !== 'string' \|\| text === ''|^\s*\} catch \{$/,
    reason: 'equivalent: JSON.parse rejects an empty string and anything that is not a string (or parses a number without a token), so the lease reads as none either way.',
  },
  {
    id: 'vault lock: sensitive fields',
    file: 'src/state/vault-lock.ts',
    line: /kv\.write\(/,
    mutator: 'ArrayDeclaration',
    reason: 'the third argument names fields to mask if the write fails; the lock holds no secret, so an extra name masks nothing.',
  },
  {
    id: 'vault lock: cas write succeeded',
    file: 'src/state/vault-lock.ts',
    line: /if \(written !== 'cas-mismatch'\) return written;/,
    replacement: 'false',
    reason: 'equivalent: after a write that took effect the loop reads again, finds its own token and returns that version.',
  },
  {
    id: 'vault lock: after loss',
    file: 'src/state/vault-lock.ts',
    line: /^\s*if \(state\.lost\) return;$/,
    reason: 'equivalent: once the lock is lost, another renewal or the release writes with our last version, which check-and-set refuses: nothing changes in Vault.',
  },
  {
    id: 'vault lock: wording of an expired lease',
    file: 'src/state/vault-lock.ts',
    line: /if \(Date\.now\(\) >= expiresAt\) state\.lost = `the lease expired: it could not be renewed|^\s*\} catch \(e\) \{$/,
    reason: 'the holder learns its lease expired either way (the `lost` getter checks the deadline too); only which of the two sentences it reads changes.',
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
