// `npm run reliability`: the long form of the suites in test/reliability/ (KEYROT_RELIABILITY=long),
// once per seed (three by default, so that one lucky run is not the claim), then docs/RELIABILITY.md:
// per suite, its runs and the faults it threw at keyrot (counted by the suites, test/reliability/faults.ts),
// and the outcomes, per seed. An outcome is one of: passed; lost or broken (an assertion failed: the
// run lost a key, a target, an audit record, a secret kept secret, or did not recover); harness error
// (the harness itself threw: a peer that did not start, a file walk that raced a rename); timed out;
// skipped. Exits non-zero when any run did not pass.
//
// KEYROT_RELIABILITY_SEEDS=1,2,3 picks the seeds. The suites whose runs the seed draws (those reading
// KEYROT_RELIABILITY_SEED: random kills, random faults) run once per seed; the others (fixed corpora, one
// case per provider or wait) run with the first seed only, unless KEYROT_RELIABILITY_REPEAT=all.
// Extra arguments go to vitest (a file filter). KEYROT_RELIABILITY_KEEP: see runOnce.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stallCoverage } from './reliability-stalls.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seeds = (process.env.KEYROT_RELIABILITY_SEEDS ?? '20261201,20261202,20261203').split(',').map((s) => Number(s.trim())).filter(Number.isFinite);
const filters = process.argv.slice(2);
const suiteFiles = readdirSync(path.join(repo, 'test', 'reliability')).filter((f) => f.endsWith('.test.ts')).map((f) => `test/reliability/${f}`);
/** The suites a seed changes: they read it. */
const seeded = suiteFiles.filter((f) => readFileSync(path.join(repo, f), 'utf8').includes('KEYROT_RELIABILITY_SEED'));
const repeatAll = process.env.KEYROT_RELIABILITY_REPEAT === 'all';
const OUTCOMES = ['passed', 'lost or broken', 'harness error', 'timed out', 'skipped'];

/** What a failed test's first failure says it was. */
function outcomeOf(t) {
  if (t.status === 'passed') return 'passed';
  if (t.status !== 'failed') return 'skipped';
  const first = t.failureMessages?.[0] ?? '';
  if (/^AssertionError|^\s*AssertionError/.test(first)) return 'lost or broken';
  // vitest's JSON report writes a test's timeout as the placeholder error it made for the stack trace.
  if (/Test timed out|Hook timed out|^Error: STACK_TRACE_ERROR/.test(first)) return 'timed out';
  return 'harness error';
}

/** A test file as the repository names it, wherever the run that reported it was checked out (a kept seed's). */
const repoPath = (file) => (file.includes('/test/') ? file.slice(file.lastIndexOf('/test/') + 1) : path.relative(repo, file));
/** A suite's title without the seed it ran with: one row per suite, its seeds side by side. */
const unseeded = (title) => title.replace(/ \(seed \d+\)$/, '');
const suiteOf = (file, t) => `${repoPath(file)}: ${unseeded(t.ancestorTitles[0] ?? '(top level)')}`;

/** A seed's run as kept in `dir`: the vitest JSON report, the suites' fault counts, exit and time. */
function readRun(dir, seed, status, seconds) {
  let report = { testResults: [] };
  let broken;
  try {
    report = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8'));
  } catch (e) {
    broken = `vitest wrote no report (exit ${status}): ${e.message}`;
  }
  const faultsDir = path.join(dir, 'faults');
  const faults = [];
  for (const name of (() => { try { return readdirSync(faultsDir); } catch { return []; } })()) faults.push(JSON.parse(readFileSync(path.join(faultsDir, name), 'utf8')));
  return { seed, status, seconds, report, faults, broken };
}

// KEYROT_RELIABILITY_KEEP=<folder> keeps each seed's run in <folder>/seed-<seed>/ and reads a seed
// already kept there instead of running it again: seeds run apart (at once, or on several machines)
// are written up together by a last run with every seed.
const keep = process.env.KEYROT_RELIABILITY_KEEP ? path.resolve(process.env.KEYROT_RELIABILITY_KEEP) : undefined;

/** One long run of the suites with this seed (or the one kept of it). */
function runOnce(seed, files) {
  const kept = keep && path.join(keep, `seed-${seed}`);
  if (kept && existsSync(path.join(kept, 'run.json'))) {
    const { status, seconds } = JSON.parse(readFileSync(path.join(kept, 'run.json'), 'utf8'));
    return readRun(kept, seed, status, seconds);
  }
  const dir = kept ?? mkdtempSync(path.join(os.tmpdir(), 'keyrot-reliability-'));
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const run = spawnSync('npx', ['vitest', 'run', ...files, '--reporter=default', '--reporter=json', `--outputFile=${path.join(dir, 'results.json')}`], {
    cwd: repo,
    env: { ...process.env, KEYROT_RELIABILITY: 'long', KEYROT_RELIABILITY_SEED: String(seed), KEYROT_RELIABILITY_FAULTS: path.join(dir, 'faults') },
    stdio: 'inherit',
  });
  const status = run.status ?? 1;
  const seconds = Math.round((Date.now() - started) / 1000);
  const outcome = readRun(dir, seed, status, seconds);
  if (kept) writeFileSync(path.join(kept, 'run.json'), JSON.stringify({ status, seconds }));
  else rmSync(dir, { recursive: true, force: true });
  return outcome;
}

const firstFiles = filters.length ? filters : ['test/reliability'];
const laterFiles = filters.length ? filters : repeatAll ? ['test/reliability'] : seeded;
const runs = seeds.map((seed, i) => runOnce(seed, i === 0 ? firstFiles : laterFiles));

// Per suite (a file's top-level describe), per seed: its outcomes, time, failures and faults.
const suites = new Map();
const suite = (name) => {
  if (!suites.has(name)) suites.set(name, { seeds: new Map(), faults: new Map(), failures: [], ms: 0, titles: new Set() });
  return suites.get(name);
};
for (const r of runs) {
  for (const file of r.report.testResults) {
    // A file whose setup failed (a peer that never started) reports no test but its message.
    if (file.assertionResults.length === 0 && file.status === 'failed') {
      const s = suite(`${repoPath(file.name)}: (setup)`);
      const per = s.seeds.get(r.seed) ?? Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
      per['harness error'] += 1;
      s.seeds.set(r.seed, per);
      s.failures.push(`seed ${r.seed}: harness error: ${(file.message ?? '').split('\n')[0]}`);
    }
    for (const t of file.assertionResults) {
      const s = suite(suiteOf(file.name, t));
      const per = s.seeds.get(r.seed) ?? Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
      const outcome = outcomeOf(t);
      per[outcome] += 1;
      s.seeds.set(r.seed, per);
      s.ms += t.duration ?? 0;
      if (/\(\d+ [a-z]/.test(t.title)) s.titles.add(t.title); // "(98 plans)": a test that states its own count
      const why = outcome === 'timed out' ? `no end after ${Math.round((t.duration ?? 0) / 1000)} s` : (t.failureMessages?.[0] ?? '').split('\n')[0];
      if (outcome !== 'passed' && outcome !== 'skipped') s.failures.push(`seed ${r.seed}: ${outcome}: ${t.title}: ${why}`);
    }
  }
  for (const { suite: title, faults } of r.faults) {
    const name = [...suites.keys()].find((n) => n.endsWith(`: ${unseeded(title)}`));
    if (!name) continue;
    const s = suite(name);
    for (const [kind, n] of Object.entries(faults)) s.faults.set(kind, (s.faults.get(kind) ?? 0) + n);
  }
}

const sum = (s, outcome) => [...s.seeds.values()].reduce((a, per) => a + per[outcome], 0);
// A seed that did not run a suite (it does not read the seed) shows "-".
const perSeed = (s, outcome) => seeds.map((seed) => s.seeds.get(seed)?.[outcome] ?? '-').join(' / ');
const attempted = (s) => seeds.map((seed) => { const per = s.seeds.get(seed); return per ? OUTCOMES.filter((o) => o !== 'skipped').reduce((a, o) => a + per[o], 0) : '-'; }).join(' / ');
const faultText = (s) => (s.faults.size ? [...s.faults].map(([k, n]) => `${n} ${k}`).join(', ') : 'none counted');

const cpus = os.cpus();
const git = (...args) => spawnSync('git', args, { cwd: repo, encoding: 'utf8' }).stdout.trim();
const commit = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs/RELIABILITY.md') ? ' plus uncommitted changes' : '';
const total = runs.reduce((a, r) => a + r.seconds, 0);
const bad = [...suites.values()].some((s) => OUTCOMES.slice(1, 4).some((o) => sum(s, o) > 0)) || runs.some((r) => r.broken);
const lines = [
  '# Reliability',
  '',
  `Written by \`npm run reliability\` on ${new Date().toISOString()} at commit ${commit}${dirty}: ${runs.length} long runs of the suites in test/reliability/, seeds ${seeds.join(', ')} (${runs.map((r) => `${r.seconds} s`).join(', ')}; ${total} s in all). Reproduce all of it with \`KEYROT_RELIABILITY_SEEDS=${seeds.join(',')} npm run reliability\`, one seed's run with \`npm run build && KEYROT_RELIABILITY=long KEYROT_RELIABILITY_SEED=<seed> npx vitest run test/reliability\`.`,
  '',
  `Each test is one run: a kill and its recovery, a rotation through faults, a round of concurrent runners, a hostile file, a stalled answer, a signal during a wait. Outcomes: *lost or broken* is a run whose checks failed (it lost a key, a target, an audit record, a secret kept secret, or did not end or recover as it must); *harness error* is the harness failing on its own (a peer that did not start, a walk that raced a rename), which says nothing about keyrot but is not a pass either; *timed out* is a test that never finished. Figures per seed are written a / b / c in seed order; faults are summed over the seeds. The suites whose runs the seed draws (${seeded.map((f) => path.basename(f)).join(', ')}) ran with every seed; the others, fixed corpora and one case per provider or wait, with the first${repeatAll ? ' and every other' : ''} seed${repeatAll ? '' : ' ("-" for the others; KEYROT_RELIABILITY_REPEAT=all repeats them)'}.`,
  '',
  `Machine: ${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
  '',
  '| suite | runs per seed | faults injected | passed | lost or broken | harness errors | timed out | skipped | time |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...[...suites].map(([name, s]) => `| ${name} | ${attempted(s)} | ${faultText(s)} | ${perSeed(s, 'passed')} | ${perSeed(s, 'lost or broken')} | ${perSeed(s, 'harness error')} | ${perSeed(s, 'timed out')} | ${perSeed(s, 'skipped')} | ${(s.ms / 1000).toFixed(1)} s |`),
  '',
  'What the suites say they covered (from their titles):',
  '',
  ...[...suites].flatMap(([name, s]) => [...s.titles].map((t) => `- ${name}: ${t}`)),
  '',
  ...stallCoverage(runs, repoPath, outcomeOf),
  `Lost, broken or not run: ${bad ? 'see below' : 'nothing (every test of every seed passed)'}.`,
  ...runs.filter((r) => r.broken).map((r) => `- seed ${r.seed}: ${r.broken}`),
  ...[...suites].flatMap(([name, s]) => s.failures.map((f) => `- ${name}: ${f}`)),
  '',
];
mkdirSync(path.join(repo, 'docs'), { recursive: true });
writeFileSync(path.join(repo, 'docs', 'RELIABILITY.md'), lines.join('\n'));
console.log(`wrote docs/RELIABILITY.md (${suites.size} suites, ${runs.length} seeds)`);
process.exit(bad || runs.some((r) => r.status !== 0) ? 1 : 0);
