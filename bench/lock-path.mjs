// The file store's plan lock alone, as a fleet run uses it: N plans each locked and released once,
// 16 at a time, in a fresh locks folder, in a child process per trial (wall time and that process's CPU
// over the lock loop only, after its imports). With --against DIR (another checkout, built) the two
// builds' locks alternate trial by trial, and the ratio is taken pair by pair (this one / DIR's).
// Usage: npm run build && node bench/lock-path.mjs [plans=1000] [pairs=5] [--against DIR] [--json]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const against = argv.includes('--against') ? path.resolve(argv[argv.indexOf('--against') + 1]) : undefined;
const positional = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--against');
const PLANS = Number(positional[0] ?? 1000);
const PAIRS = Number(positional[1] ?? 5);

/** One trial: lock and release PLANS plans with the build in `checkout`; { ms, cpuMs }. */
function trial(checkout) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-lock-'));
  const script = `
    import { lockPlan } from ${JSON.stringify(path.join(checkout, 'dist/state/file-lock.js'))};
    const holder = { host: 'bench', pid: process.pid, command: 'keyrot run plans/', since: new Date().toISOString() };
    const dir = ${JSON.stringify(path.join(dir, 'locks'))};
    let next = 0;
    const cpu = process.cpuUsage(), started = performance.now();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < ${PLANS}) { const lock = await lockPlan(dir, 'plan-' + next++, holder, 0); await lock.release(); }
    }));
    const used = process.cpuUsage(cpu);
    console.log(JSON.stringify({ ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 }));`;
  try {
    return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sides = { this: [], against: [] };
const ratios = [];
trial(root); // warm the disk cache and the module cache once
for (let i = 0; i < PAIRS; i++) {
  const mine = trial(root);
  sides.this.push(mine);
  if (!against) continue;
  const theirs = trial(against);
  sides.against.push(theirs);
  ratios.push({ ms: mine.ms / theirs.ms, cpuMs: mine.cpuMs / theirs.cpuMs });
}
const summary = (runs) => runs.length ? { ms: +median(runs.map((r) => r.ms)).toFixed(1), cpuMs: +median(runs.map((r) => r.cpuMs)).toFixed(1) } : undefined;
const result = {
  plans: PLANS, pairs: PAIRS, load: os.loadavg()[0].toFixed(2),
  this: summary(sides.this), against: summary(sides.against),
  ratio: ratios.length ? { ms: +median(ratios.map((r) => r.ms)).toFixed(2), cpuMs: +median(ratios.map((r) => r.cpuMs)).toFixed(2) } : undefined,
};
if (json) console.log(JSON.stringify(result));
else console.log(`${PLANS} plans locked and released, 16 at a time (load ${result.load}): this build ${result.this.ms} ms, CPU ${result.this.cpuMs} ms` +
  (against ? `; ${against}: ${result.against.ms} ms, CPU ${result.against.cpuMs} ms; pair by pair this/that: ${result.ratio.ms}x time, ${result.ratio.cpuMs}x CPU` : ''));
