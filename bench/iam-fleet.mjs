// IAM rotations at fleet scale against moto, with every request counted at the server side of a
// counting proxy on 127.0.0.1 (keyrot -> proxy -> moto): N IAM plans (one user each, file store,
// drain 0s, soak 0s, no lastUsed), each with a first key already issued, then `keyrot run --yes`
// over the folder at --concurrency 16 and at 1, alternating, RUNS times each. Measured per run: wall
// time, peak RSS, CPU and voluntary context switches of the keyrot process (process.resourceUsage() at its exit), and the HTTP
// calls the server saw, by action. Then one plan's rotation alone, counted call by call, next to the
// minimum a rotation needs (create, STS check with the new key, deactivate, delete: 4).
// The shell baseline (bench/aws-shell-rotate.sh: the article's script per user, one aws CLI process
// per call) runs over SHELL users on the same moto; --shell-users N (default 20; 0 skips it).
// --no-c1 skips the --concurrency 1 runs (the 1000-plan peak-RSS run of `npm run bench -- --full`).
// The floor (bench/iam-floor.mjs: the same six calls and the same fsync'd publish per user, one shared
// client, no bookkeeping, 16 users at a time) runs over N users of its own after each C=16 run, through
// the same proxy, as a child process as keyrot is: the ratio keyrot/floor is what keyrot's bookkeeping
// (state saved before and after each side effect, the lock, the audit log, the checks) costs. It is
// taken run by run (each keyrot run against the floor run right after it), beside the time from each
// process's start to its first IAM call (start-up: plans, modules, state, lock) and from the answer to
// its last call to its exit (the end).
// Usage: npm run build && node bench/iam-fleet.mjs [plans=200] [runs=3] [--shell-users N] [--no-c1] [--json]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { startMoto } from './peers.mjs';
import { cpuMsOf, exec, median } from './process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const flag = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1] === '--shell-users'));
const PLANS = Number(positional[0] ?? 200);
const RUNS = Number(positional[1] ?? 3);
const SHELL = flag('--shell-users', 20);
const NO_C1 = argv.includes('--no-c1');
const bin = path.join(root, 'bin', 'keyrot.js');
const log = (...a) => (json ? console.error(...a) : console.log(...a));
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Forwards every request unchanged (Host too: AWS signs it) and counts it by its query Action; notes
 *  when the first request since the last take() arrived and when the last answer was sent (performance.now(), ms). */
async function startCountingProxy(target) {
  const upstream = new URL(target);
  const counts = {};
  let firstAt;
  let lastAt;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString('utf8')).get('Action')
        ?? new URL(req.url, 'http://x').searchParams.get('Action') ?? req.headers['x-amz-target'] ?? `${req.method} ${req.url}`;
      counts[action] = (counts[action] ?? 0) + 1;
      firstAt ??= performance.now();
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
        res.on('finish', () => { lastAt = performance.now(); });
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    take() {
      const c = { ...counts };
      for (const k of Object.keys(counts)) delete counts[k];
      firstAt = undefined;
      lastAt = undefined;
      return c;
    },
    /** When the first request since the last take() arrived, or undefined. */
    firstAt: () => firstAt,
    /** When the last answer since the last take() was sent, or undefined. */
    lastAt: () => lastAt,
    close: () => (agent.destroy(), server.close()),
  };
}

const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);

const moto = await startMoto();
const proxy = await startCountingProxy(moto.endpoint);
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: creds });
const work = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-fleet-'));
const env = {
  ...process.env, NO_COLOR: '1', AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
};
const preload = path.join(work, 'rusage.mjs');
writeFileSync(preload, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.RUSAGE_FILE, JSON.stringify(process.resourceUsage())));\n");

async function fleet(tag, n) {
  const dir = path.join(work, tag);
  mkdirSync(dir);
  for (let i = 0; i < n; i++) {
    const user = `${tag}-svc-${i}`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    writeFileSync(path.join(dir, `p${i}.yaml`), [
      'apiVersion: keyrot/v1', `name: ${tag}-p${i}`,
      `source: { type: aws-iam, user: ${user}, region: us-east-1, endpoint: "${proxy.endpoint}", verifyTimeout: 10s }`,
      `publish: [ { type: file, path: p${i}.json } ]`, 'drain: 0s', 'soak: 0s', '',
    ].join('\n'));
  }
  return dir;
}

/** N users for the floor, each holding one key (the "old" one): the file listing them, and where it publishes. */
async function floorUsers(n) {
  const dir = path.join(work, 'floor');
  mkdirSync(dir);
  const users = [];
  for (let i = 0; i < n; i++) {
    const user = `floor-svc-${i}`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    await iam.send(new CreateAccessKeyCommand({ UserName: user }));
    users.push(user);
  }
  writeFileSync(path.join(dir, 'users.txt'), `${users.join('\n')}\n`);
  return dir;
}

/** One floor run over its users (each ends holding one key again, ready for the next run). */
/** CPU (user and system), peak RSS and the context switches a process waited in (each thread-pool round
 *  trip is two: the pool thread's and the event loop's wake-up), from its process.resourceUsage(). */
const usageOf = (u) => ({
  cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, systemCpuMs: u.systemCPUTime / 1000, rssMb: u.maxRSS / 1024, switches: u.voluntaryContextSwitches,
});

/** moto's CPU time so far in ms (Linux: /proc/PID/stat, user + system); undefined elsewhere. moto is one
 *  Python process on the same cores: what it needs per run is what keyrot's CPU competes with. */
const motoCpuMs = () => cpuMsOf(moto.pid);

/** `run()` timed, with the CPU moto spent meanwhile added to its usage. */
async function withMotoCpu(run) {
  const before = motoCpuMs();
  const result = await run();
  const after = motoCpuMs();
  return { ...result, motoCpuMs: before === undefined || after === undefined ? undefined : after - before };
}

/** Durable state saves per rotation in the second floor: keyrot's (bench/fsops.mjs counts 12 fsyncs per rotation, one of them the publish). */
const DURABLE_SAVES = 11;

/** A child's wall time, from its spawn to its first IAM call (start-up), and from the answer to its last
 *  call to its exit as its parent sees it (the end: summary, flushes, handles that keep it alive). */
const timesOf = (start, end) => ({ wallMs: end - start, toFirstCallMs: proxy.firstAt() - start, afterLastCallMs: end - proxy.lastAt() });

async function floorRun(dir, saves = 0) {
  const usageFile = path.join(work, 'usage.json');
  proxy.take();
  const start = performance.now();
  const r = await exec(process.execPath, ['--import', preload, path.join(root, 'bench', 'iam-floor.mjs'), proxy.endpoint, path.join(dir, 'users.txt'), dir, '16', String(saves)], {
    cwd: dir, env: { ...env, RUSAGE_FILE: usageFile },
  });
  const end = performance.now();
  if (r.status !== 0) throw new Error(`the floor exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  const u = JSON.parse(readFileSync(usageFile, 'utf8'));
  return { ...timesOf(start, end), ...usageOf(u), calls: proxy.take() };
}

async function keyrotRun(target, args) {
  const usageFile = path.join(work, 'usage.json');
  proxy.take();
  const start = performance.now();
  const r = await exec(process.execPath, ['--import', preload, bin, 'run', '--yes', '--plain', ...args, target], {
    cwd: target.endsWith('.yaml') ? path.dirname(target) : target, env: { ...env, RUSAGE_FILE: usageFile },
  });
  const end = performance.now();
  if (r.status !== 0) throw new Error(`keyrot run exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  const u = JSON.parse(readFileSync(usageFile, 'utf8'));
  return { ...timesOf(start, end), ...usageOf(u), calls: proxy.take() };
}

const out = { plans: PLANS, runs: RUNS, node: process.version };
try {
  // One plan alone: the calls of its first key, then of one rotation.
  const one = await fleet('one', 1);
  const firstKey = await keyrotRun(path.join(one, 'p0.yaml'), []);
  const rotation = await keyrotRun(path.join(one, 'p0.yaml'), []);
  out.onePlan = { firstKeyCalls: firstKey.calls, rotationCalls: rotation.calls, rotationTotal: sum(rotation.calls), minimum: 4 };
  log(`one rotation: ${sum(rotation.calls)} HTTP calls at the server (minimum 4):`, rotation.calls);

  const dir = await fleet('fleet', PLANS);
  log(`${PLANS} plans: issuing first keys (not timed as a rotation)`);
  out.firstKeys = await keyrotRun(dir, ['--concurrency', '16']);
  const floorDir = await floorUsers(PLANS);
  const c16 = [];
  const c1 = [];
  const floor = [];
  const durableFloor = [];
  for (let run = 0; run < RUNS; run++) {
    c16.push(await withMotoCpu(() => keyrotRun(dir, ['--concurrency', '16'])));
    log(`run ${run + 1}/${RUNS}: C=16 ${c16.at(-1).wallMs.toFixed(0)} ms, ${c16.at(-1).rssMb.toFixed(0)} MB`);
    floor.push(await withMotoCpu(() => floorRun(floorDir)));
    log(`run ${run + 1}/${RUNS}: floor ${floor.at(-1).wallMs.toFixed(0)} ms, ${floor.at(-1).rssMb.toFixed(0)} MB`);
    durableFloor.push(await withMotoCpu(() => floorRun(floorDir, DURABLE_SAVES)));
    log(`run ${run + 1}/${RUNS}: floor with ${DURABLE_SAVES} durable saves per rotation ${durableFloor.at(-1).wallMs.toFixed(0)} ms`);
    if (NO_C1) continue;
    c1.push(await keyrotRun(dir, ['--concurrency', '1']));
    log(`run ${run + 1}/${RUNS}: C=1 ${c1.at(-1).wallMs.toFixed(0)} ms, ${c1.at(-1).rssMb.toFixed(0)} MB`);
  }
  const summary = (rows) => ({
    wallMsMedian: median(rows.map((r) => r.wallMs)), wallMs: rows.map((r) => r.wallMs),
    cpuMsMedian: median(rows.map((r) => r.cpuMs)),
    systemCpuMsMedian: median(rows.map((r) => r.systemCpuMs)), switchesMedian: median(rows.map((r) => r.switches)),
    motoCpuMsMedian: rows.every((r) => r.motoCpuMs !== undefined) ? median(rows.map((r) => r.motoCpuMs)) : undefined,
    rssMbMedian: median(rows.map((r) => r.rssMb)), rssMbMax: Math.max(...rows.map((r) => r.rssMb)),
    toFirstCallMsMedian: median(rows.map((r) => r.toFirstCallMs)), afterLastCallMsMedian: median(rows.map((r) => r.afterLastCallMs)),
    callsPerRotation: median(rows.map((r) => sum(r.calls) / PLANS)), calls: rows[0].calls,
  });
  out.c16 = summary(c16);
  out.floor = summary(floor);
  out.durableFloor = { ...summary(durableFloor), saves: DURABLE_SAVES };
  // Each keyrot run against the floor run right after it: the machine's drift (moto's garbage, other
  // load) moves both alike, so the median of these ratios is steadier than the ratio of the medians.
  out.floorRatios = c16.map((k, i) => k.wallMs / floor[i].wallMs);
  out.floorRatioMedian = median(out.floorRatios);
  if (!NO_C1) out.c1 = summary(c1);

  if (SHELL > 0) {
    // The article's script per user, over SHELL users that each hold one key (the "old" one).
    const aws = execFileSync('bash', [path.join(root, 'bench/aws-shell-rotate.sh'), '--install'], { encoding: 'utf8' }).trim().split('\n').pop();
    const shellDir = path.join(work, 'shell');
    mkdirSync(shellDir);
    const lines = [];
    for (let i = 0; i < SHELL; i++) {
      const user = `shell-svc-${i}`;
      await iam.send(new CreateUserCommand({ UserName: user }));
      const old = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey.AccessKeyId;
      lines.push(`${user} ${old}`);
    }
    log(`shell baseline: ${SHELL} users, one aws CLI process per call`);
    proxy.take();
    const start = process.hrtime.bigint();
    const r = await exec('bash', [path.join(root, 'bench/aws-shell-rotate.sh')], {
      env: { ...env, AWS_CLI: aws, ENDPOINT: proxy.endpoint, OUT_DIR: shellDir, AWS_DEFAULT_REGION: 'us-east-1' },
    }, `${lines.join('\n')}\n`);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`shell baseline exited ${r.status}: ${r.stderr.slice(0, 500)}`);
    const calls = proxy.take();
    out.shell = { users: SHELL, wallMs, msPerUser: wallMs / SHELL, callsPerUser: sum(calls) / SHELL, calls };
    log(`shell: ${wallMs.toFixed(0)} ms for ${SHELL} users (${(wallMs / SHELL).toFixed(0)} ms per user)`);
  }
} finally {
  proxy.close();
  moto.stop();
  rmSync(work, { recursive: true, force: true });
}

if (json) {
  console.log(JSON.stringify(out, null, 2));
} else {
  console.log(`${PLANS} IAM rotations (zero waits, file store) on moto, ${RUNS} run(s), node ${process.version}, ${os.cpus().length} CPU(s)`);
  for (const [name, s] of [['--concurrency 16', out.c16], ['floor (bare SDK)', out.floor], [`floor + ${DURABLE_SAVES} saves`, out.durableFloor], ['--concurrency 1', out.c1]].filter(([, r]) => r)) {
    console.log(`${name.padEnd(18)} median ${(s.wallMsMedian / 1000).toFixed(2)} s, CPU ${(s.cpuMsMedian / 1000).toFixed(2)} s (system ${(s.systemCpuMsMedian / 1000).toFixed(2)} s, ${s.switchesMedian} voluntary context switches${s.motoCpuMsMedian === undefined ? '' : `; moto ${(s.motoCpuMsMedian / 1000).toFixed(2)} s`}), peak RSS ${s.rssMbMedian.toFixed(0)} MB (max ${s.rssMbMax.toFixed(0)}), ${s.callsPerRotation.toFixed(1)} calls/rotation`);
  }
  console.log(`keyrot / floor, run by run: ${out.floorRatios.map((r) => r.toFixed(2)).join(', ')} (median ${out.floorRatioMedian.toFixed(2)}); time to the first IAM call: keyrot ${out.c16.toFirstCallMsMedian.toFixed(0)} ms, floor ${out.floor.toFirstCallMsMedian.toFixed(0)} ms; from the last answer to exit: keyrot ${out.c16.afterLastCallMsMedian.toFixed(0)} ms, floor ${out.floor.afterLastCallMsMedian.toFixed(0)} ms`);
  if (out.shell) console.log(`bash + aws CLI     ${(out.shell.msPerUser / 1000).toFixed(2)} s per user over ${out.shell.users} users, ${out.shell.callsPerUser.toFixed(1)} calls/user`);
}
