// `npm run reliability`: the long form of the suites in test/reliability/ (KEYROT_RELIABILITY=long),
// then docs/RELIABILITY.md: per suite, what was attempted, what passed, what failed, how long it
// took; the command to reproduce; the machine. Exits with vitest's code.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'keyrot-reliability-'));
const results = path.join(tmp, 'results.json');
const command = 'KEYROT_RELIABILITY=long npx vitest run test/reliability';

const started = Date.now();
const run = spawnSync('npx', ['vitest', 'run', 'test/reliability', '--reporter=default', '--reporter=json', `--outputFile=${results}`], {
  cwd: repo,
  env: { ...process.env, KEYROT_RELIABILITY: 'long' },
  stdio: 'inherit',
});
const report = JSON.parse(readFileSync(results, 'utf8'));
rmSync(tmp, { recursive: true, force: true });

// A suite is a file's top-level describe block; a test states its own count in its title: "(98 plans)".
const suites = new Map();
for (const file of report.testResults) {
  for (const t of file.assertionResults) {
    const name = `${path.relative(repo, file.name)}: ${t.ancestorTitles[0] ?? '(top level)'}`;
    const suite = suites.get(name) ?? { attempted: 0, passed: 0, failed: 0, skipped: 0, ms: 0, titles: [], failures: [] };
    suite.attempted += t.status === 'skipped' || t.status === 'pending' ? 0 : 1;
    if (t.status === 'passed') suite.passed++;
    else if (t.status === 'failed') suite.failed++;
    else suite.skipped++;
    suite.ms += t.duration ?? 0;
    if (/\(\d+ [a-z]/.test(t.title)) suite.titles.push(t.title); // "(98 plans)": a test that states its own count
    if (t.status === 'failed') suite.failures.push(`${t.title}: ${(t.failureMessages?.[0] ?? '').split('\n')[0]}`);
    suites.set(name, suite);
  }
}

const cpus = os.cpus();
const git = (...args) => spawnSync('git', args, { cwd: repo, encoding: 'utf8' }).stdout.trim();
const commit = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' plus uncommitted changes' : '';
const lines = [
  '# Reliability',
  '',
  `Written by \`npm run reliability\` on ${new Date(started).toISOString()} (${Math.round((Date.now() - started) / 1000)} s), at commit ${commit}${dirty}. Reproduce with \`npm run build && ${command}\`.`,
  '',
  'Each test is one run: a kill and its recovery, a rotation through faults, a round of concurrent runners, a hostile file. A failed test is a run that lost something (a key, a target, an audit record, a secret kept secret) or did not recover.',
  '',
  `Machine: ${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
  '',
  '| suite | runs attempted | passed | failed (lost) | skipped | time |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...[...suites].map(([name, s]) => `| ${name} | ${s.attempted} | ${s.passed} | ${s.failed} | ${s.skipped} | ${(s.ms / 1000).toFixed(1)} s |`),
  '',
  'What the suites say they covered (from their titles):',
  '',
  ...[...suites].flatMap(([name, s]) => s.titles.map((t) => `- ${name}: ${t}`)),
  '',
  `Lost or broken: ${[...suites.values()].some((s) => s.failed) ? 'see the failures below' : 'nothing (every test passed)'}.`,
  ...[...suites].flatMap(([name, s]) => s.failures.map((f) => `- ${name}: ${f}`)),
  '',
];
mkdirSync(path.join(repo, 'docs'), { recursive: true });
writeFileSync(path.join(repo, 'docs', 'RELIABILITY.md'), lines.join('\n'));
console.log(`wrote docs/RELIABILITY.md (${suites.size} suites)`);
process.exit(run.status ?? 1);
