#!/usr/bin/env node
// Summarise the Stryker reports of `npm run mutation` (reports/mutation/*.json) for docs/TESTING.md:
// the mutation score of each safety module and every mutant that survived, by file and line.
//   node scripts/mutation-summary.mjs [--write docs/TESTING.md] [--check] [report.json ...]
//     reports: default every report in reports/mutation/ (a file in several reports: the last one counts)
//     --write  replace the part of that file between the mutation-summary markers instead of printing
//     --check  exit 1 when a survivor has no reason in scripts/mutation-reasons.mjs
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REASONS } from './mutation-reasons.mjs';

/** The safety modules of issue 28, each a set of files. */
const MODULES = [
  ['phase table and gates', (f) => f.startsWith('src/engine/phases/') || ['src/engine/gate.ts', 'src/engine/runner.ts', 'src/engine/usage.ts'].includes(f)],
  ['usage sources', (f) => f.startsWith('src/providers/usage/')],
  ['confirmation', (f) => f.startsWith('src/cli/')],
  ['revoke', (f) => f.startsWith('src/engine/revoke')],
  ['locks', (f) => f.endsWith('-lock.ts') || f.startsWith('src/state/file-lock-') || f === 'src/state/lock-claim.ts'],
  ['output filter', (f) => f.startsWith('src/secrets/')],
  ['state stores', (f) => ['src/state/record.ts', 'src/state/file-store.ts'].includes(f)],
];
// Why each survivor is left: scripts/mutation-reasons.mjs, matched against the mutant (its file, the
// text of its source line and of the span it replaces, its mutator and replacement).
const reasonOf = (m) => REASONS.find((r) => matches(r, m));
const test = (pattern, text) => pattern === undefined || (typeof pattern === 'string' ? text === pattern : pattern.test(text));
/** `after`: the mutated span starts after where this pattern matches in the line (inside a call's arguments, say). */
const startsAfter = (pattern, m) => {
  if (pattern === undefined) return true;
  const at = m.line.search(pattern);
  return at >= 0 && m.location.start.column - 1 > at;
};
const matches = (r, m) =>
  test(r.file, m.file) && test(r.line, m.line) && startsAfter(r.after, m) && test(r.code, m.code) && test(r.mutator, m.mutatorName) && test(r.replacement, m.replacement ?? '');

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args.splice(args.indexOf(name), name === '--write' ? 2 : 1).at(-1) : undefined);
const writeTo = flag('--write');
const check = flag('--check') !== undefined;
const dir = 'reports/mutation';
// Without names: every report there, oldest first (by when it was written), so a later partial run's
// report of a file replaces the whole set's older one.
const files = args.length ? args : readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)).sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
// A file in several reports (a set, then a run of one file): the report named last counts.
const byFile = new Map(files.flatMap((file) => Object.entries(JSON.parse(readFileSync(file, 'utf8')).files)));
const mutants = [...byFile].flatMap(([name, f]) => {
  const lines = f.source.split('\n');
  const spanOf = ({ start, end }) =>
    start.line === end.line ? lines[start.line - 1].slice(start.column - 1, end.column - 1) : [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join('\n');
  return f.mutants.map((m) => ({ ...m, file: path.relative(process.cwd(), path.resolve(name)), line: lines[m.location.start.line - 1] ?? '', code: spanOf(m.location) }));
});

const count = (ms, statuses) => ms.filter((m) => statuses.has(m.status)).length;
const score = (ms) => {
  const detected = count(ms, DETECTED);
  const valid = detected + count(ms, UNDETECTED);
  return valid ? (100 * detected) / valid : 100;
};
const row = (name, ms) =>
  `| ${name} | ${score(ms).toFixed(1)}% | ${ms.length} | ${count(ms, new Set(['Killed']))} | ${count(ms, new Set(['Timeout']))} | ${count(ms, new Set(['Survived']))} | ${count(ms, new Set(['NoCoverage']))} | ${count(ms, new Set(['Ignored', 'CompileError', 'RuntimeError']))} |`;

const out = [];
const say = (line = '') => out.push(line);
say('| module / file | score | mutants | killed | timed out | survived | no coverage | ignored or invalid |');
say('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [name, owns] of MODULES) {
  const mine = mutants.filter((m) => owns(m.file));
  if (!mine.length) continue;
  say(row(`**${name}**`, mine));
  for (const file of [...new Set(mine.map((m) => m.file))].sort()) say(row(file, mine.filter((m) => m.file === file)));
}
say(row('**all**', mutants));

// Mutants marked equivalent in the source (`// Stryker disable next-line <mutators>: <reason>`): not in
// the score, listed with the reason given there.
const STRYKER_OWN = /^(Ignored because of excluded mutation|Static mutant)/;
const disabled = mutants.filter((m) => m.status === 'Ignored' && !STRYKER_OWN.test(m.statusReason ?? ''));

const byPlace = (a, b) => a.file.localeCompare(b.file) || a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column;
const survivors = mutants.filter((m) => UNDETECTED.has(m.status)).sort(byPlace);
const item = (m) =>
  `- ${m.file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}${m.status === 'NoCoverage' ? ' (no coverage)' : ''} \`${(m.replacement ?? '').replace(/\s+/g, ' ').replace(/`/g, "'").slice(0, 70)}\``;
const open = survivors.filter((m) => !reasonOf(m));
say('');
say(`${survivors.length} survivor(s): ${survivors.length - open.length} with a reason (scripts/mutation-reasons.mjs), ${open.length} without.`);
if (open.length) {
  say('');
  say(`**Without a reason (${open.length}):**`);
  say('');
  for (const m of open) say(`${item(m)} **NO REASON**`);
}
for (const r of REASONS) {
  const mine = survivors.filter((m) => reasonOf(m) === r);
  if (!mine.length) continue;
  say('');
  say(`**${r.id}** (${mine.length}): ${r.reason}`);
  say('');
  for (const m of mine) say(item(m));
}
if (disabled.length) {
  say('');
  say(`${disabled.length} mutant(s) marked equivalent in the source (not counted in the score), with the reason given there:`);
  say('');
  for (const m of disabled.sort(byPlace)) say(`${item(m)}: ${m.statusReason}`);
}
const unused = REASONS.filter((r) => !survivors.some((m) => reasonOf(m) === r));
if (unused.length) console.error(`reasons that match no survivor now: ${unused.map((r) => r.id).join(', ')}`);

const BEGIN = '<!-- mutation-summary: begin (written by node scripts/mutation-summary.mjs --write docs/TESTING.md) -->';
const END = '<!-- mutation-summary: end -->';
if (writeTo) {
  const doc = readFileSync(writeTo, 'utf8');
  const [from, to] = [doc.indexOf(BEGIN), doc.indexOf(END)];
  if (from < 0 || to < from) throw new Error(`${writeTo} has no mutation-summary markers`);
  writeFileSync(writeTo, `${doc.slice(0, from + BEGIN.length)}\n\n${out.join('\n')}\n\n${doc.slice(to)}`);
} else {
  console.log(out.join('\n'));
}
if (open.length) console.error(`${open.length} survivor(s) without a reason: add one to scripts/mutation-reasons.mjs, or a test that kills them`);
if (check && open.length) process.exitCode = 1;
