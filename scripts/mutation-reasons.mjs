// Why each mutant that survives `npm run mutation` is left alive (issue 28; docs/TESTING.md renders
// the list from the Stryker reports and this file: node scripts/mutation-summary.mjs --write docs/TESTING.md).
// A survivor with no reason here is flagged there: kill it with a test, or add its reason.
//
// Each reason matches mutants by `file`, and optionally by `line` (the text of the mutated source
// line, so a key survives edits elsewhere in the file), `after` (the span starts after where this
// matches in the line: inside a call's arguments), `code` (the text of the span replaced),
// `mutator` (Stryker's mutator name) and `replacement`: a string must be equal, a RegExp must match.
// The first reason that matches counts, so narrow ones come before broad ones. Each reason is one
// honest sentence: why the mutant is equivalent, or why no behaviour a user relies on depends on it,
// or which test outside Stryker's run (end-to-end, on real peers) guards it.

/** @type {{ id: string, file: string | RegExp, line?: string | RegExp, after?: RegExp, code?: string | RegExp, mutator?: string | RegExp, replacement?: string | RegExp, reason: string }[]} */
export const REASONS = [
  // ---- everywhere -------------------------------------------------------------------------------
  {
    id: 'message details',
    file: /^src\//,
    after: /new KeyrotError\(|\bhold\(|holdAndGoBack\(|holdAndRollBack\(|\bbad\(|throw new Error\(`/,
    mutator: /ObjectLiteral|ArrowFunction|MethodExpression|ArithmeticOperator|OptionalChaining|LogicalOperator/,
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
    id: 'confirm: abort',
    file: 'src/cli/confirm.ts',
    line: /code === 'ABORT_ERR' \|\| asked\.signal\.aborted/,
    reason: 'equivalent: rl.question rejects only when its signal aborts (on Node 20 it stays pending when the input closes), so `code === \'ABORT_ERR\'` and `asked.signal.aborted` are true together and either decides; the whole condition made false is killed.',
  },

  // ---- revoke -------------------------------------------------------------------------------------
  {
    id: 'revoke: which failure of a plan is named',
    file: 'src/engine/revoke-asker.ts',
    line: /if \(!failed\.has\(plan\)\) failed\.set\(plan, reasonOf\(e\)\);/,
    reason: 'only which of a plan\'s failures is named as the reason it was not asked (the first or the last): it is named as not asked either way.',
  },
  {
    id: 'revoke: presence, not value',
    file: /^src\/engine\/revoke-(asker|owner)\.ts$/,
    line: /return \{ plan, failed: true \};|return key \? \{ plan, keyId: key\.id \} : \{ plan \};|\{ notHeld: true \}/,
    mutator: /BooleanLiteral|ObjectLiteral/,
    reason: 'equivalent: answers and verdicts are told apart by which field they have (`\'failed\' in a`, `\'notHeld\' in v`), never by its value, and an answer that holds nothing is never read for its plan.',
  },
  {
    id: 'revoke: an account asked again',
    file: 'src/engine/revoke-asker.ts',
    line: /if \(scopesDown\.has\(scope\)\) return Promise\.resolve\('unknown' as const\);/,
    reason: 'only whether an account whose lookup failed is asked again for a later key: the findings are settled at once, so the later lookups start before the first fails anyway; each plan is still listed once (its list is remembered).',
  },
  {
    id: 'revoke: plans of an account have an issuer with the lookup',
    file: /^src\/engine\/revoke-(asker|owner)\.ts$/,
    line: /if \(!built\?\.owner\) return 'unknown' as const;|const principal = \(await asker\.issuer\(p\)\)\?\.owner\?\.principal;|principal\?\.toLowerCase\(\) === holder\.toLowerCase\(\)|if \(scope === undefined\) direct\.push\(plan\);/,
    mutator: /OptionalChaining|ConditionalExpression|ObjectLiteral/,
    reason: 'equivalent in outcome: a plan is grouped under an account only when its issuer (built once, remembered) has the lookup, so the optional steps never meet undefined; plans grouped under no account get "unknown" from the lookup and are each listed, as they are directly; an answer without a key is told by its fields, not its plan.',
  },
  {
    id: 'evidence text of a decision',
    file: /^src\/engine\/phases\//,
    line: /return open\(`|`every target serves the new key's fingerprint\$\{/,
    reason: 'text of the evidence or the guard shown with a decision (how many targets serve the key, a write-only target\'s note): the decision is the same.',
  },
  {
    id: 'revoke: records of other keys',
    file: 'src/engine/revoke-owner.ts',
    line: /if \(!id \|\| !keyIds\.has\(id\)\) continue;|if \(keyIds\.size === 0\) return owners;/,
    reason: 'equivalent: the plans recorded for key ids nobody asked about are never looked up (only the leaked ids are), and with no key id there is nothing to find in the records.',
  },
  {
    id: 'revoke: the note on records',
    file: 'src/engine/revoke-owner.ts',
    line: /return verdictOf\(\[\.\.\.likely, \.\.\.answers\.flat\(\)\], clues, false\);/,
    reason: 'only whether the note "found … in keyrot\'s records of plan …; not asked: …" is shown (text for people); the owner is the same.',
  },
  {
    id: 'revoke: names in messages',
    file: /^src\/engine\/revoke-(owner|targets)\.ts$/,
    line: /const named = |const listed = |say\('warning', 'leak-report'|if \(verdict\.fromRecords && search\.unasked\.length > 0\)|\} else if \('notHeld' in verdict\) \{/,
    reason: 'text for people: how a finding, a key or a long list of plans is named in a note or warning (the verdicts and the exit code are computed apart from it).',
  },
  {
    id: 'revoke: a fingerprint no key has',
    file: 'src/engine/revoke-targets.ts',
    line: /findOwners\(plans, \[\{ keyIds: \[keyId\], fingerprints: \[\] \}\]/,
    mutator: 'ArrayDeclaration',
    reason: 'equivalent in effect: the search for a key id also looks for a fingerprint no key has, which no ledger holds.',
  },
  {
    id: 'revoke: why a report is refused',
    file: 'src/engine/revoke-targets.ts',
    line: /if \(text === 'not-a-file'\)|if \(text === 'too-large'\)/,
    reason: 'the report is refused either way (what is read then is no JSON report): only the reason given changes.',
  },
  {
    id: 'revoke: flying excludes done',
    file: 'src/engine/revoke.ts',
    line: /if \(flying && flying\.phase !== 'done'\) \{/,
    code: "flying.phase !== 'done'",
    reason: 'equivalent: `flying` is only ever a record whose phase is not done.',
  },
  {
    id: 'revoke: a finished revoke and --delete',
    file: 'src/engine/revoke.ts',
    line: /const revoking = session\.saved\?\.mode === 'revoke' && session\.saved\.phase !== 'done'/,
    code: "session.saved.phase !== 'done'",
    reason: 'unreachable from the command: a finished revoke\'s key is gone from the issuer, and the owner search answers revoke-finished before this runs (revoke-search.test.ts "once a revoke is finished…").',
  },
  {
    id: 'revoke: the wording of what comes next',
    file: 'src/engine/revoke.ts',
    line: /ctx\.issuer\.deactivates === false \? `the leaked key was deleted at once|type: 'held', plan, phase: 'revoke', code, message: refusal\.message/,
    reason: 'text for people: which sentence says what became of the leaked key, or the evidence list of a held event (the outcome is the same).',
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
    reason: 'the third argument lists values to mask in the error text if the write fails; the lock holds no secret, so one more value to mask changes nothing a user sees.',
  },
  {
    id: 'vault lock: cas write succeeded',
    file: 'src/state/vault-lock.ts',
    line: /if \(written !== 'cas-mismatch'\) return written;/,
    replacement: 'false',
    reason: 'equivalent: after a write that took effect the loop reads again, finds its own token and returns that version.',
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
  {
    id: 'redact: a secret remembered twice',
    file: 'src/secrets/redact.ts',
    line: /const same = byPrefix\.get\(prefix\) \?\? \[\];|if \(same\.includes\(secret\)\) return;/,
    reason: 'equivalent: a secret listed twice (or beside an entry that is no secret) masks the same text.',
  },
  {
    id: 'redact: shortcuts',
    file: 'src/secrets/redact.ts',
    line: /if \(byPrefix\.size === 0\) return out;|return copied === 0 \? out : masked \+ out\.slice\(copied\);/,
    mutator: 'ConditionalExpression',
    reason: 'equivalent: a shortcut; without it the scan finds nothing, or `\'\' + out.slice(0)` is `out`.',
  },

  // ---- phase table and runner ---------------------------------------------------------------------
  {
    id: 'runner: restart limit',
    file: 'src/engine/runner.ts',
    line: /\+\+restarts > MAX_RESTARTS/,
    reason: 'unreachable with the phases there are: a walk is redirected at most once (deactivate back to verify only once verify succeeded, after which verify refuses with new-key-lost instead of redirecting; verify back to create only before that), so the limit of two is never reached; it guards a future phase that loops.',
  },
  {
    id: 'published: an id no target has',
    file: /^src\/engine\/phases\/(create|retire)\.ts$/,
    line: /published: \[\]|state\.published = \[\];/,
    mutator: 'ArrayDeclaration',
    replacement: /Stryker was here/,
    reason: 'equivalent: the list starts with an id no target has, so publish still skips exactly the targets it published.',
  },
  {
    id: 'deactivate in a revoke: the key is inactive already',
    file: 'src/engine/phases/deactivate.ts',
    line: /seen \?\?= state\.mode === 'revoke' \? \{ key: await findKey\(ctx, keyId\) \} : undefined;/,
    mutator: 'ObjectLiteral',
    reason: 'in a revoke the revoke phase deactivated the key already, so it is found inactive and nothing is done either way; only a key someone reactivated by hand in between would differ.',
  },
  {
    id: 'deactivate in a revoke: a skipped step\'s record',
    file: 'src/engine/phases/deactivate.ts',
    line: /\} else if \(state\.mode !== 'revoke'\) \{ \/\/ a revoke recorded its deactivation already/,
    reason: 'adds an audit record ("found … already inactive", skipped) in a revoke, which recorded its deactivation already: audit text only.',
  },
  {
    id: 'delete: the revoke flag of the approval message',
    file: 'src/engine/phases/delete.ts',
    line: /hold\('approval-required', \{ plan: ctx\.plan\.name, keyId, revoke: state\.mode === 'revoke' \}\)/,
    reason: 'only picks the wording of the approval-required message (a revoked key or an old one): the hold and its code are the same.',
  },
  {
    id: 'evidence and quiet text',
    file: /^src\/engine\//,
    line: /open\(evidence, `quiet for|evidence: \[\] \};/,
    reason: 'text of the evidence shown with a decision (how long the key has been quiet, an empty evidence list): the decision is the same.',
  },
  {
    id: 'last-used: the earlier of two equal times',
    file: 'src/engine/phases/last-used.ts',
    line: /quietAt < giveUp \? quietAt : giveUp/,
    mutator: 'EqualityOperator',
    replacement: /<=/,
    reason: 'equivalent: when the two times are equal either one is the same time.',
  },
  {
    id: 'revoke phase: an early last-used answer',
    file: 'src/engine/phases/revoke.ts',
    line: /const early = ctx\.issuer\.deactivates === false \?/,
    mutator: 'ConditionalExpression',
    replacement: 'true',
    reason: 'asks the issuer for the last use before the revoke for every issuer, not only those that cannot deactivate; for the others that answer is not used (they are asked after the deactivation, as before): one more read-only call.',
  },
  {
    id: 'runner: save before notify',
    file: 'src/engine/runner.ts',
    line: /if \(ctx\.plan\.notify\?\.length\) await ctx\.save\(\);/,
    reason: 'one more save of the same record when the plan notifies nobody: nothing read from it changes.',
  },
  {
    id: 'runner: waiting stage already set',
    file: 'src/engine/runner.ts',
    line: /if \(ctx\.state\.stage !== 'waiting' \|\| ctx\.state\.hold\) \{/,
    mutator: 'ConditionalExpression',
    replacement: 'true',
    reason: 'equivalent: assigns the values the record already has (stage waiting, no hold).',
  },
  {
    id: 'runner: something thrown that is not an Error',
    file: 'src/engine/runner.ts',
    line: /\(e as Error\)\?\.(stack|message)/,
    mutator: 'OptionalChaining',
    reason: 'differs only when something throws null or undefined, which no code under the runner does.',
  },
  {
    id: 'usage: wording',
    file: /^src\/(engine\/usage\.ts|providers\/usage\/client\.ts)$/,
    line: /const times = \(n: number\) =>|reason: \(e as Error\)\?\.message \?\? String\(e\)|`WARNING: \$\{finding\.source\} saw the revoked key|auth\.type === 'bearer' \? 'bearer token'/,
    mutator: /EqualityOperator|LogicalOperator|OptionalChaining|ConditionalExpression|ArrayDeclaration/,
    reason: 'text for people: how a count of uses is written ("about 1"), the reason quoted for a query that got no answer, the warning line shown with the evidence, or which credential a missing variable is named as; what keyrot decides is the same.',
  },
  {
    id: 'usage: the earlier of two equal times',
    file: 'src/engine/usage.ts',
    line: /const next = quietAt < giveUp \? quietAt : giveUp;/,
    mutator: 'EqualityOperator',
    reason: 'equivalent: when the two times are equal either one is the same time.',
  },
  {
    id: 'runner: the phase named in a failure after done',
    file: 'src/engine/runner.ts',
    line: /const phase = ctx\.state\.phase === 'done' \? undefined : ctx\.state\.phase;/,
    reason: 'only whether a failure after the rotation finished names the phase "done" or none in its event and audit record (text).',
  },
  {
    id: 'error text',
    file: /^src\//,
    line: /new Error\(`|reject\(failure \?\? new Error\(|cannot read the CA file/,
    mutator: /ArrowFunction|ConditionalExpression|LogicalOperator|BooleanLiteral|MethodExpression/,
    code: /^(?!\(\) =>)/,
    reason: 'the wording of an error\'s reason (which code or message it quotes): the failure, and what keyrot does about it, are the same.',
  },
  {
    id: 'usage answers: where in a malformed answer',
    file: 'src/providers/usage/answers.ts',
    line: /\/\^\[A-Za-z_\]|if \(!issue\) return 'malformed answer';|issue\.path\.map\(fieldName\)/,
    reason: 'only the path named in the reason a malformed answer is refused (`.data.result[0]`): the answer is refused either way.',
  },
  {
    id: 'HTTP 299',
    file: /^src\/providers\/usage\/(http|prometheus)\.ts$/,
    line: /answer\.status < 200 \|\| answer\.status > 299/,
    mutator: 'EqualityOperator',
    replacement: />= 299/,
    reason: 'equivalent in practice: 299 is no status any server sends.',
  },
  {
    id: 'usage explain',
    file: /^src\/providers\/usage\//,
    line: /explain: \(\) =>/,
    reason: 'what `keyrot plan` shows as the query a usage source makes (text; nothing is asked).',
  },

];
