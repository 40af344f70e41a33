// What one tick of the Kubernetes CronJob (examples/kubernetes/) costs: `keyrot run --due --no-wait
// --yes <folder>` over N generated-key plans publishing to Vault, with state in Vault
// (--state vault://secret/keyrot-bench), against a local OpenBao dev server. Three ticks: the first
// (every plan issues its first key), a tick where a rotation is started and parked in its drain, and
// a quiet tick (nothing due: the usual one). Measured per tick: wall time, CPU (user + system) and
// peak RSS of the keyrot process, read from process.resourceUsage() at its exit; OpenBao's CPU from /proc;
// and the CPU every other process on the machine used meanwhile (/proc/stat's busy time less keyrot's,
// OpenBao's and this script's): on a shared machine, what took the cores from the two being timed;
// and how often (sampled every 10 ms) neither keyrot nor OpenBao had a thread running or ready to run:
// the time the two spent waiting on something other than a core (a timer, the disk, each other idle).
// With --count-requests, keyrot reaches OpenBao through a counting proxy in this process, and each tick
// also reports the HTTP requests it sent per plan (the proxy's own cost then lands in the timings).
// --state file keeps state in the default folder beside the plans instead of Vault (the keys are still
// published to OpenBao). --status also times `keyrot status <folder>` after the ticks (every plan's key
// age, rotation in flight and last outcome). --no-parked skips the parked tick (its quiet tick then has
// nothing in flight). With --status, the same status also runs under V8's own heap sizing (node
// --heap-growing-percent=0 --semi-space-growth-factor=2, which keyrot's src/cli/heap.ts leaves alone
// when given): what keyrot's heap settings cost in CPU and save in peak RSS, in the same run.
// --status --against <other checkout>/bin/keyrot.js: an A/B of two builds of keyrot over the same state:
// the status step alone, --pairs N times (default 3) each build, in alternating order, each build with a
// plan cache of its own (warmed first); and the outputs of both (text and --output json) compared byte
// for byte under one fixed clock (a --import preload: the ages shown depend on the time).
// Usage: npm run build && node bench/cronjob.mjs [plans=50] [runs=3] [--json] [--count-requests] [--state file] [--status [--against BIN [--pairs N]]] [--no-parked]
// KEYROT_BENCH_KEEP=<prefix> keeps each tick's output in <prefix>-<n>.txt.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './peers.mjs';
import { cpuMsOf } from './process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const countRequests = process.argv.includes('--count-requests');
const fileState = process.argv.includes('file') && process.argv[process.argv.indexOf('file') - 1] === '--state';
const timeStatus = process.argv.includes('--status');
const parked = !process.argv.includes('--no-parked');
const valueOf = (flag) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const against = valueOf('--against') && path.resolve(valueOf('--against'));
const PAIRS = Number(valueOf('--pairs') ?? 3);
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !['--state', '--against', '--pairs'].includes(all[i - 1]));
const PLANS = Number(positional[0] ?? 50);
const RUNS = Number(positional[1] ?? 3);
const bin = path.join(root, 'bin', 'keyrot.js');

async function startBao() {
  const bao = execFileSync('bash', [path.join(root, 'scripts/test-peers/openbao.sh'), 'install'], { encoding: 'utf8' }).trim().split('\n').pop();
  let port;
  for (;;) {
    port = await freePort();
    if (port < 65535) break;
  }
  const home = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-bao-'));
  const token = `root-bench-${process.pid}`;
  const child = spawn(bao, ['server', '-dev', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`], { env: { PATH: process.env.PATH, HOME: home }, stdio: 'ignore' });
  const address = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${address}/v1/sys/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (i > 600) throw new Error('OpenBao did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address, token, pid: child.pid, stop: () => (child.kill('SIGTERM'), rmSync(home, { recursive: true, force: true })) };
}

/** An HTTP proxy in front of OpenBao that counts the requests it forwards, by method and path shape. */
async function countingProxy(target) {
  const agent = new http.Agent({ keepAlive: true });
  const counts = new Map();
  const server = http.createServer((req, res) => {
    const shape = `${req.method} ${req.url.replace(/\?.*/, '').replace(/\/p\d+$/, '/<plan>').replace(/plans-\w+/, '<run>')}`;
    counts.set(shape, (counts.get(shape) ?? 0) + 1);
    const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `http://127.0.0.1:${server.address().port}`, counts, close: () => server.close() };
}

/** CPU time (user + system, ms) OpenBao has used so far; undefined where /proc is not. */
const baoCpuMs = () => cpuMsOf(bao.pid);

/** CPU time (ms) the whole machine has spent busy so far (every core, every process), from /proc/stat; undefined elsewhere. */
function machineBusyMs() {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Whether any thread of `pid` is running or ready to run (state R in /proc); undefined once it is gone or elsewhere. */
function runnable(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).some((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ').at(-1).startsWith('R');
      } catch {
        return false; // that thread ended
      }
    });
  } catch {
    return undefined;
  }
}

/** Samples, until stopped, whether keyrot (`pid`) and OpenBao both wait: the share of samples where neither could run. */
function watchWaiting(pid) {
  let samples = 0;
  let waiting = 0;
  let timer;
  const sample = () => {
    const k = runnable(pid);
    const b = runnable(bao.pid);
    if (k !== undefined && b !== undefined) {
      samples++;
      if (!k && !b) waiting++;
    }
    timer = setTimeout(sample, 10);
  };
  sample();
  return () => (clearTimeout(timer), samples > 0 ? waiting / samples : undefined);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

const loadAtStart = os.loadavg()[0];
const bao = await startBao();
const proxy = countRequests ? await countingProxy(bao.address) : undefined;
const work = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-cron-'));
const preload = path.join(work, 'rusage.mjs');
// Written by the keyrot process itself as it exits: its own CPU and peak memory.
writeFileSync(preload, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.RUSAGE_FILE, JSON.stringify(process.resourceUsage())));\n");

let ticks = 0;
/** One keyrot process over the plans: `run --due --no-wait --yes` (a CronJob tick), or the command given. */
async function tick(plansDir, spec, expect, command = ['run', '--due', '--no-wait', '--yes', '--output', 'plain'], nodeFlags = [], { keyrot = bin, env: extraEnv = {}, keepOutput } = {}) {
  const usageFile = path.join(work, 'usage.json');
  // keyrot's output goes to a file, not a pipe: spawnSync kills a child once its piped output passes
  // maxBuffer (1 MiB over stdout and stderr together), which the plain output of ~1000 plans does.
  // Cut off so, keyrot left the plans in flight locked until their lease ran out, and the next tick
  // was refused (exit 3, "plan p941 is locked by pid <the previous tick>").
  const outFile = path.join(work, `tick-${++ticks}.txt`);
  const out = openSync(outFile, 'w');
  proxy?.counts.clear();
  const baoBefore = baoCpuMs();
  const machineBefore = machineBusyMs();
  const ownBefore = ownCpuMs();
  const start = process.hrtime.bigint();
  const env = { ...process.env, NO_COLOR: '1', VAULT_ADDR: (proxy ?? bao).address, VAULT_TOKEN: bao.token, RUSAGE_FILE: usageFile, ...extraEnv };
  if (spec) env.KEYROT_STATE = spec;
  else delete env.KEYROT_STATE;
  const child = spawn(process.execPath, [...nodeFlags, '--import', preload, keyrot, ...command, plansDir], { cwd: work, stdio: ['ignore', out, out], env });
  const stopWatching = watchWaiting(child.pid);
  const r = await new Promise((resolve) => child.on('exit', (status, signal) => resolve({ status, signal })));
  const bothWaiting = stopWatching();
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const baoMs = baoBefore === undefined ? undefined : baoCpuMs() - baoBefore;
  const machineMs = machineBefore === undefined ? undefined : machineBusyMs() - machineBefore;
  const ownMs = ownCpuMs() - ownBefore;
  closeSync(out);
  const output = readFileSync(outFile, 'utf8');
  if (process.env.KEYROT_BENCH_KEEP) copyFileSync(outFile, `${process.env.KEYROT_BENCH_KEEP}-${ticks}.txt`);
  if (!expect.includes(r.status)) throw new Error(`keyrot exited ${r.status ?? r.signal}: ${output.slice(-1500)}`);
  // A tick counts only if keyrot reported every plan (a run cut short must not pass as a fast one);
  // status, only if it showed every plan's key.
  const summary = command[0] === 'status' ? undefined : new RegExp(`^${PLANS} plans?: `, 'm');
  if (summary && !summary.test(output)) throw new Error(`keyrot's summary does not account for ${PLANS} plans: ${output.slice(-1500)}`);
  if (!summary && !command.includes('json') && (output.match(/ active key-\w+ /g) ?? []).length !== PLANS) throw new Error(`keyrot status did not show ${PLANS} active keys: ${output.slice(-1500)}`);
  if (keepOutput) keepOutput(output);
  const u = JSON.parse(readFileSync(usageFile, 'utf8'));
  const requests = proxy ? Object.fromEntries([...proxy.counts].sort((a, b) => b[1] - a[1])) : undefined;
  const cpuMs = (u.userCPUTime + u.systemCPUTime) / 1000;
  // What else ran on the machine meanwhile: never below 0 (the counters tick at different moments).
  const othersCpuMs = machineMs === undefined || baoMs === undefined ? undefined : Math.max(0, machineMs - cpuMs - baoMs - ownMs);
  return { wallMs, cpuMs, rssMb: u.maxRSS / 1024, baoCpuMs: baoMs, othersCpuMs, bothWaiting, load: os.loadavg()[0], ...(requests ? { requests } : {}) };
}

const results = { first: [], ...(parked ? { parked: [] } : {}), quiet: [], ...(timeStatus ? (against ? { status: [], statusAgainst: [] } : { status: [], statusV8: [] }) : {}) };
// Written for the comparison of the two builds' outputs: every Date made without arguments, and Date.now(), at one instant.
const fixedClock = path.join(work, 'fixed-clock.mjs');
writeFileSync(fixedClock, "const at = Date.parse(process.env.FIXED_NOW);\nconst Real = Date;\nglobalThis.Date = class extends Real {\n  constructor(...a) {\n    if (a.length > 0) super(...a);\n    else super(at);\n  }\n  static now() {\n    return at;\n  }\n};\n");

/** The status step, this build against the other (`against`): warmed, compared under a fixed clock, then timed in alternating pairs. */
async function statusAgainst(plansDir, spec) {
  const builds = [{ keyrot: bin, rows: results.status, cache: 'this' }, { keyrot: against, rows: results.statusAgainst, cache: 'against' }];
  for (const b of builds) b.env = { KEYROT_PLAN_CACHE: path.join(work, `plan-cache-${b.cache}`) };
  for (const b of builds) await tick(plansDir, spec, [0], ['status'], [], b); // each build's plan cache written
  const fixed = { FIXED_NOW: new Date(Date.now() + 3_600_000).toISOString() };
  for (const command of [['status'], ['status', '--output', 'json']]) {
    const outputs = [];
    for (const b of builds) await tick(plansDir, spec, [0], command, ['--import', fixedClock], { ...b, env: { ...b.env, ...fixed }, keepOutput: (o) => outputs.push(o) });
    if (outputs[0] !== outputs[1]) throw new Error(`keyrot ${command.join(' ')}: the two builds' outputs differ (${outputs[0].length} and ${outputs[1].length} characters)`);
  }
  for (let pair = 0; pair < PAIRS; pair++) {
    for (const b of pair % 2 === 0 ? builds : [...builds].reverse()) b.rows.push(await tick(plansDir, spec, [0], ['status'], [], b));
  }
}
/** V8's own heap sizing: keyrot's src/cli/heap.ts sets neither flag when the user gave it. */
const V8_DEFAULTS = ['--heap-growing-percent=0', '--semi-space-growth-factor=2'];
try {
  for (let run = 0; run < RUNS; run++) {
    const plansDir = mkdtempSync(path.join(work, 'plans-'));
    const spec = fileState ? undefined : `vault://secret/keyrot-bench/${path.basename(plansDir)}`;
    for (let i = 0; i < PLANS; i++) {
      writeFileSync(path.join(plansDir, `p${i}.yaml`), [
        'apiVersion: keyrot/v1', `name: p${i}`, 'schedule: { maxAge: 30d }', 'source: { type: generated }',
        'publish:', `  - { type: vault-kv2, mount: secret, path: bench/${path.basename(plansDir)}/p${i}, data: { api_key: "{{secret}}", key_id: "{{keyId}}" } }`,
        'drain: 15m', 'soak: 7d', '',
      ].join('\n'));
    }
    results.first.push(await tick(plansDir, spec, [0]));
    if (parked) {
      // Make one plan due (its key 31 days old) so the next tick starts a rotation and parks it in the drain.
      const first = path.join(plansDir, 'p0.yaml');
      writeFileSync(first, readFileSync(first, 'utf8').replace('maxAge: 30d', 'maxAge: 1s'));
      await new Promise((r) => setTimeout(r, 1100));
      results.parked.push(await tick(plansDir, spec, [75]));
    }
    results.quiet.push(await tick(plansDir, spec, parked ? [75] : [0]));
    if (timeStatus && against) await statusAgainst(plansDir, spec);
    else if (timeStatus) {
      results.status.push(await tick(plansDir, spec, [0], ['status']));
      results.statusV8.push(await tick(plansDir, spec, [0], ['status'], V8_DEFAULTS));
    }
  }
} finally {
  proxy?.close();
  bao.stop();
  rmSync(work, { recursive: true, force: true });
}

/** Vault requests per plan in a tick (the most of its runs), when counted. */
const perPlan = (rows) => (countRequests ? Math.max(...rows.map((r) => Object.values(r.requests).reduce((a, b) => a + b, 0))) / PLANS : undefined);

if (json) {
  const summary = (rows) => ({
    wallMsMedian: pct(rows.map((r) => r.wallMs).sort((a, b) => a - b), 50), cpuMsMedian: pct(rows.map((r) => r.cpuMs).sort((a, b) => a - b), 50),
    rssMbMax: Math.max(...rows.map((r) => r.rssMb)), baoCpuMsMedian: rows[0].baoCpuMs === undefined ? undefined : pct(rows.map((r) => r.baoCpuMs).sort((a, b) => a - b), 50),
    othersCpuMsMedian: rows[0].othersCpuMs === undefined ? undefined : pct(rows.map((r) => r.othersCpuMs).sort((a, b) => a - b), 50),
    bothWaitingMax: rows[0].bothWaiting === undefined ? undefined : Math.max(...rows.map((r) => r.bothWaiting)),
    ...(countRequests ? { vaultRequestsPerPlan: perPlan(rows) } : {}), samples: rows,
  });
  console.log(JSON.stringify({ plans: PLANS, runs: RUNS, state: fileState ? 'file' : 'vault', node: process.version, ticks: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, summary(v)])) }, null, 2));
  process.exit(0);
}
console.log(`keyrot run --due --no-wait --yes over ${PLANS} plans, ${fileState ? 'state in files, keys' : 'state and keys'} in OpenBao; ${RUNS} run(s) per tick, node ${process.version}, ${os.cpus().length} CPU(s)`);
console.log(`${'tick'.padEnd(34)} ${'wall ms (median/max)'.padStart(22)} ${'CPU ms (median/max)'.padStart(21)} ${'peak RSS MB (max)'.padStart(18)} ${'OpenBao CPU ms'.padStart(14)} ${'others CPU ms'.padStart(13)} ${'both waiting'.padStart(12)}${countRequests ? ' Vault requests/plan' : ''}`);
const label = { first: 'first tick (every plan: first key)', parked: 'one rotation started, parked', quiet: parked ? 'quiet tick (a rotation waiting)' : 'quiet tick', status: 'keyrot status <folder>', statusV8: 'status, V8 heap defaults', statusAgainst: 'status, the --against build' };
for (const [name, rows] of Object.entries(results)) {
  const wall = rows.map((r) => r.wallMs).sort((a, b) => a - b);
  const cpu = rows.map((r) => r.cpuMs).sort((a, b) => a - b);
  const rss = Math.max(...rows.map((r) => r.rssMb));
  const baoCpu = rows[0].baoCpuMs === undefined ? '?' : pct(rows.map((r) => r.baoCpuMs).sort((a, b) => a - b), 50).toFixed(0);
  const waiting = rows[0].bothWaiting === undefined ? '?' : `${(Math.max(...rows.map((r) => r.bothWaiting)) * 100).toFixed(1)}%`;
  const others = rows[0].othersCpuMs === undefined ? '?' : pct(rows.map((r) => r.othersCpuMs).sort((a, b) => a - b), 50).toFixed(0);
  console.log(`${label[name].padEnd(34)} ${`${pct(wall, 50).toFixed(0)}/${wall.at(-1).toFixed(0)}`.padStart(22)} ${`${pct(cpu, 50).toFixed(0)}/${cpu.at(-1).toFixed(0)}`.padStart(21)} ${rss.toFixed(0).padStart(18)} ${baoCpu.padStart(14)} ${others.padStart(13)} ${waiting.padStart(12)}${countRequests ? perPlan(rows).toFixed(2).padStart(20) : ''}`);
}
if (against) {
  console.log(`\nA/B, status alone (this build / ${against}), in the order run: keyrot CPU ms, wall ms, peak RSS MB, load (1 min) after`);
  results.status.forEach((a, i) => {
    const b = results.statusAgainst[i];
    console.log(`  pair ${i + 1}: ${a.cpuMs.toFixed(0)} / ${b.cpuMs.toFixed(0)} CPU, ${a.wallMs.toFixed(0)} / ${b.wallMs.toFixed(0)} wall, ${a.rssMb.toFixed(0)} / ${b.rssMb.toFixed(0)} MB, load ${a.load.toFixed(1)} / ${b.load.toFixed(1)}`);
  });
  console.log('  outputs (text and --output json, one fixed clock): byte-identical');
}
console.log(`load average (1 min): ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`);
if (countRequests) {
  console.log('\nrequests per plan in the first tick, by kind:');
  for (const [shape, n] of Object.entries(results.first[0].requests)) console.log(`${(n / PLANS).toFixed(2).padStart(8)}  ${shape}`);
}
