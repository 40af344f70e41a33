// Start-up cost of keyrot commands that cron and operators run often, against `node -e 0` measured
// in the same run. Usage: npm run build && node bench/startup.mjs [runs]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 15);
const bin = path.join(root, 'bin', 'keyrot.js');
const demo = path.join(root, 'rotation-plans', 'demo.yaml');

const cases = [
  ['node -e 0 (baseline)', ['-e', '0']],
  ['keyrot --help', [bin, '--help']],
  ['keyrot run --help', [bin, 'run', '--help']],
  ['keyrot validate demo.yaml', [bin, 'validate', demo]],
  ['keyrot status', [bin, 'status', '--state', path.join(root, '.bench-state')]],
];

function time(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
console.log(`runs per case: ${runs} (after one warm-up), node ${process.version}`);
console.log(`${'case'.padEnd(30)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(8)} ${'over baseline'.padStart(14)}`);
let baseline;
for (const [name, args] of cases) {
  time(args);
  const samples = Array.from({ length: runs }, () => time(args)).sort((a, b) => a - b);
  const median = pct(samples, 50);
  baseline ??= median;
  console.log(`${name.padEnd(30)} ${median.toFixed(0).padStart(10)} ${pct(samples, 90).toFixed(0).padStart(8)} ${`+${(median - baseline).toFixed(0)}`.padStart(14)}`);
}
