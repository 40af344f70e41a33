// PostgreSQL rotations at fleet scale: N postgresql plans (two NOLOGIN roles each, in one group role,
// keyrot logged in as a CREATEROLE-only login; file store; drain 0s, soak 0s, the session gate on with
// quietFor 0s and no session open, so zero waits), each with a first key already issued, then
// `keyrot run --yes --concurrency 16` over the folder RUNS times (each run rotates every plan to its
// other role). Measured per run: wall time, CPU and peak RSS of the keyrot process. In the same run,
// the shell baseline (bench/psql-shell-rotate.sh: one psql process per statement) rotates N role pairs
// of its own on the same server.
// Usage: npm run build && node bench/postgresql-fleet.mjs [plans=100] [runs=3] [--json]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from './peers.mjs';
import { exec, median } from './process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const positional = argv.filter((a) => !a.startsWith('--'));
const PLANS = Number(positional[0] ?? 100);
const RUNS = Number(positional[1] ?? 3);
const bin = path.join(root, 'bin', 'keyrot.js');
const log = (...a) => (json ? console.error(...a) : console.log(...a));

const db = await startPostgres();
const work = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-pgfleet-'));
const admin = { user: 'bench_keyrot', password: 'bench-keyrot-password' };
const env = { ...process.env, NO_COLOR: '1', BENCH_PG_PASSWORD: admin.password };
const preload = path.join(work, 'rusage.mjs');
writeFileSync(preload, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.RUSAGE_FILE, JSON.stringify(process.resourceUsage())));\n");

/** N role pairs `<tag>_<i>_blue/_green` in group role `<tag>`, NOLOGIN, no password. */
async function rolePairs(tag, n) {
  const statements = [`CREATE ROLE ${tag} NOLOGIN`];
  for (let i = 0; i < n; i++) for (const c of ['blue', 'green']) statements.push(`CREATE ROLE ${tag}_${i}_${c} NOLOGIN IN ROLE ${tag}`);
  await db.sql(statements.join(';\n'));
}

async function keyrotRun(dir) {
  const usageFile = path.join(work, 'usage.json');
  const start = process.hrtime.bigint();
  const r = await exec(process.execPath, ['--import', preload, bin, 'run', '--yes', '--plain', '--concurrency', '16', dir], { cwd: dir, env: { ...env, RUSAGE_FILE: usageFile } });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`keyrot run exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  const u = JSON.parse(readFileSync(usageFile, 'utf8'));
  return { wallMs, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssMb: u.maxRSS / 1024 };
}

const out = { plans: PLANS, runs: RUNS, node: process.version };
try {
  await db.sql(`CREATE ROLE ${admin.user} LOGIN CREATEROLE PASSWORD '${admin.password}'`);
  await rolePairs('fleet', PLANS);
  const dir = path.join(work, 'plans');
  mkdirSync(dir);
  for (let i = 0; i < PLANS; i++) {
    writeFileSync(path.join(dir, `p${i}.yaml`), [
      'apiVersion: keyrot/v1', `name: pg-${i}`,
      `source: { type: postgresql, host: 127.0.0.1, port: ${db.port}, admin: { user: ${admin.user}, passwordEnv: BENCH_PG_PASSWORD }, roles: [fleet_${i}_blue, fleet_${i}_green] }`,
      `publish: [ { type: file, path: p${i}.json } ]`, 'drain: 0s', 'lastUsed: { quietFor: 0s, maxWait: 1h }', 'soak: 0s', '',
    ].join('\n'));
  }
  log(`${PLANS} plans: issuing first keys (not timed as a rotation)`);
  out.firstKeys = await keyrotRun(dir);
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    runs.push(await keyrotRun(dir));
    log(`run ${run + 1}/${RUNS}: ${runs.at(-1).wallMs.toFixed(0)} ms, CPU ${runs.at(-1).cpuMs.toFixed(0)} ms, ${runs.at(-1).rssMb.toFixed(0)} MB`);
  }
  out.keyrot = { wallMsMedian: median(runs.map((r) => r.wallMs)), wallMs: runs.map((r) => r.wallMs), cpuMsMedian: median(runs.map((r) => r.cpuMs)), rssMbMax: Math.max(...runs.map((r) => r.rssMb)) };

  // The shell baseline: its own N role pairs, each with a first password on blue, rotated to green.
  await rolePairs('shell', PLANS);
  await db.sql(Array.from({ length: PLANS }, (_, i) => `ALTER ROLE shell_${i}_blue LOGIN PASSWORD 'first-password-${i}'`).join(';\n'));
  const shellDir = path.join(work, 'shell');
  mkdirSync(shellDir);
  log(`shell baseline: ${PLANS} role pairs, one psql process per statement`);
  const start = process.hrtime.bigint();
  const r = await exec('bash', [path.join(root, 'bench/psql-shell-rotate.sh')], {
    env: { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(db.port), PGUSER: admin.user, PGPASSWORD: admin.password, OUT_DIR: shellDir },
  }, `${Array.from({ length: PLANS }, (_, i) => `shell_${i}_green shell_${i}_blue`).join('\n')}\n`);
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`shell baseline exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  out.shell = { pairs: PLANS, wallMs, msPerPair: wallMs / PLANS, psqlPerPair: 4 };
  log(`shell: ${wallMs.toFixed(0)} ms for ${PLANS} role pairs`);
} finally {
  await db.stop();
  rmSync(work, { recursive: true, force: true });
}

if (json) {
  console.log(JSON.stringify(out, null, 2));
} else {
  console.log(`${PLANS} PostgreSQL rotations (zero waits, file store, session gate on), ${RUNS} run(s), node ${process.version}, ${os.cpus().length} CPU(s)`);
  console.log(`keyrot --concurrency 16  median ${(out.keyrot.wallMsMedian / 1000).toFixed(2)} s, CPU ${(out.keyrot.cpuMsMedian / 1000).toFixed(2)} s, peak RSS ${out.keyrot.rssMbMax.toFixed(0)} MB`);
  console.log(`bash + psql              ${(out.shell.wallMs / 1000).toFixed(2)} s (${out.shell.msPerPair.toFixed(0)} ms per role pair, 4 psql processes each)`);
  console.log(`ratio                    ${(out.shell.wallMs / out.keyrot.wallMsMedian).toFixed(2)}× (shell / keyrot)`);
}
