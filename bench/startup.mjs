// Start-up cost of keyrot commands that cron and operators run often, against `node -e 0` measured
// in the same run, and `keyrot validate` on a folder of 200 generated IAM plans.
// Usage: npm run build && node bench/startup.mjs [runs=15] [--json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const runs = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 15);
const bin = path.join(root, 'bin', 'keyrot.js');
const demo = path.join(root, 'rotation-plans', 'demo.yaml');

const fleet = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-validate-'));
for (let i = 0; i < 200; i++) {
  writeFileSync(path.join(fleet, `p${i}.yaml`), [
    'apiVersion: keyrot/v1', `name: p${i}`, 'schedule: { maxAge: 30d }',
    `source: { type: aws-iam, user: svc-${i}, region: us-east-1, endpoint: "http://127.0.0.1:9", verifyTimeout: 10s }`,
    `publish: [ { type: file, path: p${i}.json } ]`, 'drain: 15m', 'soak: 7d', '',
  ].join('\n'));
}

// The plan cache (src/plan/cache.ts) in a folder of this run's own: the warm-up run of each case fills
// it, as the first run over a folder does; the "no plan cache" cases parse and validate every time.
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-plan-cache-'));
const off = { KEYROT_PLAN_CACHE: 'off' };
// An empty state folder (keyrot status names a --state folder that does not exist as a usage error).
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-state-'));
const cases = [
  ['node -e 0 (baseline)', ['-e', '0']],
  ['keyrot --help', [bin, '--help']],
  ['keyrot run --help', [bin, 'run', '--help']],
  ['keyrot validate demo.yaml', [bin, 'validate', demo]],
  ['keyrot validate (200 plans)', [bin, 'validate', fleet]],
  ['keyrot validate demo.yaml, no plan cache', [bin, 'validate', demo], off],
  ['keyrot validate (200 plans), no plan cache', [bin, 'validate', fleet], off],
  ['keyrot status', [bin, 'status', '--state', stateDir]],
];

function time(args, env = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1', KEYROT_PLAN_CACHE: cacheDir, ...env } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const results = [];
let baseline;
try {
  for (const [name, args, env] of cases) {
    time(args, env);
    const samples = Array.from({ length: runs }, () => time(args, env)).sort((a, b) => a - b);
    const median = pct(samples, 50);
    baseline ??= median;
    results.push({ name, medianMs: median, p90Ms: pct(samples, 90), ratio: median / baseline });
  }
} finally {
  rmSync(fleet, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
}
if (json) {
  console.log(JSON.stringify({ runs, node: process.version, cases: results }, null, 2));
} else {
  console.log(`runs per case: ${runs} (after one warm-up), node ${process.version}`);
  console.log(`${'case'.padEnd(44)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(8)} ${'over baseline'.padStart(14)} ${'ratio'.padStart(7)}`);
  for (const r of results) {
    console.log(`${r.name.padEnd(44)} ${r.medianMs.toFixed(0).padStart(10)} ${r.p90Ms.toFixed(0).padStart(8)} ${`+${(r.medianMs - baseline).toFixed(0)}`.padStart(14)} ${`${r.ratio.toFixed(2)}x`.padStart(7)}`);
  }
}
