#!/usr/bin/env node
// Summarise the Stryker reports of `npm run mutation` (reports/mutation/*.json) for docs/TESTING.md:
// the mutation score of each safety module and every mutant that survived, by file and line.
//   node scripts/mutation-summary.mjs [report.json ...]     (default: every report in reports/mutation/;
//                                                           a file in several reports: the last one counts)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The safety modules of issue 28, each a set of files. */
const MODULES = [
  ['phase table and gates', (f) => f.startsWith('src/engine/phases/') || ['src/engine/gate.ts', 'src/engine/runner.ts', 'src/engine/usage.ts'].includes(f)],
  ['usage sources', (f) => f.startsWith('src/providers/usage/')],
  ['confirmation', (f) => f.startsWith('src/cli/')],
  ['revoke', (f) => f.startsWith('src/engine/revoke')],
  ['locks', (f) => f.endsWith('-lock.ts')],
  ['output filter', (f) => f.startsWith('src/secrets/')],
  ['state stores', (f) => ['src/state/record.ts', 'src/state/file-store.ts'].includes(f)],
];
/**
 * Why a survivor is left, for the kinds of survivor that have a reason other than "no test yet":
 * matched against the mutated source line. Everything else is listed as open.
 */
const REASONS = [
  [(m, line) => /ctx\.emit\(\{ type: 'note'|options\.reporter\.event\(\{ type: '(note|warning)'/.test(line) && /ObjectLiteral|ArrayDeclaration|ConditionalExpression|LogicalOperator/.test(m.mutatorName),
    'text for people (a note or warning event): the unit tests assert what keyrot decides, the end-to-end tests what it prints'],
  [(m, line) => m.file === 'src/engine/revoke-owner.ts' && /owner|scope|holder\.h|principal|direct\.push/.test(line),
    'the one-call owner lookup only aws-iam has (issuer.owner): run against moto by test/e2e/revoke-search.e2e.test.ts; the in-process plans have none'],
  [(m, line) => m.file === 'src/cli/confirm.ts' && /rl\.on\('SIGINT'/.test(line),
    'Ctrl-C as a key reaches readline only from a raw-mode terminal: test/e2e/terminal.e2e.test.ts, in a pseudo-terminal'],
  [(m, line) => m.file === 'src/cli/confirm.ts' && /once: true/.test(line), 'equivalent: the listener is removed in `finally` either way'],
  [(m, line) => m.file === 'src/cli/confirm.ts' && /code === 'ABORT_ERR' \|\| asked\.signal\.aborted/.test(line),
    'equivalent: rl.question rejects only when its signal aborts (on Node 20 it stays pending when the input closes), so `code === \'ABORT_ERR\'` and `asked.signal.aborted` are true together and either decides; the whole condition made false is killed'],
  [(m, line) => /-lock\.ts$/.test(m.file) && m.mutatorName === 'EqualityOperator' && /Date\.now\(\)/.test(line) && /[<>]=?/.test(m.replacement ?? ''),
    'equivalent in practice: `>` for `>=` on the real clock differs only at the exact millisecond'],
  [(m, line) => m.file === 'src/state/file-store.ts' && /\bknown\b/.test(line) && /ConditionalExpression|LogicalOperator|ObjectLiteral|BlockStatement/.test(m.mutatorName),
    'equivalent: the record remembered from the last load or save only spares a read; forgotten (or never remembered), the save reads the file and decides the same (a changed file is still noticed: the mutant that trusts a stale memory is killed)'],
  [(m, line) => m.file === 'src/secrets/redact.ts' && /at <= out\.length - MIN_SECRET/.test(line) && m.mutatorName === 'ArithmeticOperator',
    'equivalent: past the end, the slice looked up is shorter than every remembered prefix (each MIN_SECRET long), so nothing more is found (run 1 counted it killed by a notify test, run 2 not: a verdict of the run, not of the mutant)'],
  [(m, line) => m.file === 'src/engine/runner.ts' && /\+\+restarts > MAX_RESTARTS/.test(line),
    'unreachable with the phases there are: a walk is redirected at most once (deactivate back to verify only once verify succeeded, after which verify refuses with new-key-lost instead of redirecting; verify back to create only before that), so the limit of two is never reached; it guards a future phase that loops'],
];
const KEYS = 'abcdefghij';
const reasonOf = (m, line) => {
  const i = REASONS.findIndex(([matches]) => matches(m, line));
  return i < 0 ? undefined : KEYS[i];
};

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const dir = 'reports/mutation';
const files = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f));
// A file in several reports (a set, then a run of one file): the report named last counts.
const byFile = new Map(files.flatMap((file) => Object.entries(JSON.parse(readFileSync(file, 'utf8')).files)));
const mutants = [...byFile].flatMap(([name, f]) => {
  const lines = f.source.split('\n');
  return f.mutants.map((m) => ({ ...m, file: path.relative(process.cwd(), path.resolve(name)), line: lines[m.location.start.line - 1] ?? '' }));
});

const count = (ms, statuses) => ms.filter((m) => statuses.has(m.status)).length;
const score = (ms) => {
  const detected = count(ms, DETECTED);
  const valid = detected + count(ms, UNDETECTED);
  return valid ? (100 * detected) / valid : 100;
};
const row = (name, ms) =>
  `| ${name} | ${score(ms).toFixed(1)}% | ${ms.length} | ${count(ms, new Set(['Killed']))} | ${count(ms, new Set(['Timeout']))} | ${count(ms, new Set(['Survived']))} | ${count(ms, new Set(['NoCoverage']))} | ${count(ms, new Set(['Ignored', 'CompileError', 'RuntimeError']))} |`;

console.log('| module / file | score | mutants | killed | timed out | survived | no coverage | ignored or invalid |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [name, owns] of MODULES) {
  const mine = mutants.filter((m) => owns(m.file));
  if (!mine.length) continue;
  console.log(row(`**${name}**`, mine));
  for (const file of [...new Set(mine.map((m) => m.file))].sort()) console.log(row(file, mine.filter((m) => m.file === file)));
}
console.log(row('**all**', mutants));

// Mutants marked equivalent in the source (`// Stryker disable next-line <mutators>: <reason>`): not in
// the score, listed with the reason given there.
const STRYKER_OWN = /^(Ignored because of excluded mutation|Static mutant)/;
const disabled = mutants.filter((m) => m.status === 'Ignored' && !STRYKER_OWN.test(m.statusReason ?? ''));

const survivors = mutants.filter((m) => UNDETECTED.has(m.status)).sort((a, b) => a.file.localeCompare(b.file) || a.location.start.line - b.location.start.line);
const explained = survivors.filter((m) => reasonOf(m, m.line));
console.log(`\n${survivors.length} survivor(s): ${explained.length} with a reason, marked [a]-[${KEYS[REASONS.length - 1]}]; ${survivors.length - explained.length} open, unmarked (no test kills them yet).\n`);
REASONS.forEach(([, why], i) => console.log(`- [${KEYS[i]}] ${why}`));
console.log('');
for (const m of survivors) {
  const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 70);
  const why = reasonOf(m, m.line);
  console.log(`- ${m.file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}${m.status === 'NoCoverage' ? ' (no coverage)' : ''} \`${replacement}\`${why ? ` [${why}]` : ''}`);
}
if (disabled.length) {
  console.log(`\n${disabled.length} mutant(s) marked equivalent in the source (not counted in the score), with the reason given there:\n`);
  for (const m of disabled.sort((a, b) => a.file.localeCompare(b.file) || a.location.start.line - b.location.start.line)) {
    console.log(`- ${m.file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} \`${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 70)}\`: ${m.statusReason}`);
  }
}
