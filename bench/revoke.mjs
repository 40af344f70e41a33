// How fast a leaked key stops working: `keyrot revoke --key K <folder of 200 IAM plans>` against
// moto, from the command's start until the key is inactive at IAM and until the replacement is in the
// plan's store, next to the same command given only the owning plan file (the baseline, same run).
// Two folder cases: keyrot has no record of the key (every issuer is asked), and keyrot's own records
// name it (rotation state and audit log: no issuer but the owner's is asked). Each folder is validated
// once first (`keyrot validate plans/`, as a pre-commit hook or the CronJob would have), which fills
// the plan cache (src/plan/cache.ts, in a folder of this run's own) the revoke then reads.
// Usage: npm run build && node bench/revoke.mjs [plans=200] [runs=5] [--json]
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { startMoto } from './peers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const PLANS = Number(positional[0] ?? 200);
const RUNS = Number(positional[1] ?? 5);
const bin = path.join(root, 'bin', 'keyrot.js');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const moto = await startMoto();
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: creds });
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-plan-cache-'));
const env = {
  ...process.env, NO_COLOR: '1', KEYROT_PLAN_CACHE: cacheDir, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
};

/** A folder of PLANS IAM plans, one user each; returns the folder and the target plan's file and user. */
async function fleet(tag) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `keyrot-bench-revoke-${tag}-`));
  mkdirSync(path.join(dir, 'plans'));
  const users = [];
  for (let i = 0; i < PLANS; i++) {
    const user = `${tag}-svc-${i}`;
    users.push(user);
    await iam.send(new CreateUserCommand({ UserName: user }));
    writeFileSync(path.join(dir, 'plans', `p${i}.yaml`), [
      'apiVersion: keyrot/v1', `name: p${i}`,
      `source: { type: aws-iam, user: ${user}, region: us-east-1, endpoint: "${moto.endpoint}", verifyTimeout: 10s }`,
      `publish: [ { type: file, path: p${i}.json } ]`, 'drain: 0s', 'soak: 7d', '',
    ].join('\n'));
  }
  return { dir, users };
}

const keysOf = async (user) => (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];

/** Run the revoke; resolve with ms until the key is inactive at IAM and until the store holds another key. */
async function measure(dir, args, user, keyId, storeFile) {
  const start = performance.now();
  const child = spawn(process.execPath, [bin, 'revoke', '--yes', '--plain', '--key', keyId, ...args], { cwd: dir, env, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('close', r));
  let inactive;
  let replaced;
  while (inactive === undefined || replaced === undefined) {
    if (inactive === undefined && (await keysOf(user)).some((k) => k.AccessKeyId === keyId && k.Status === 'Inactive')) inactive = performance.now() - start;
    if (replaced === undefined && existsSync(storeFile)) {
      const current = JSON.parse(readFileSync(storeFile, 'utf8')).current?.keyId;
      if (current && current !== keyId) replaced = performance.now() - start;
    }
    if (performance.now() - start > 60_000) throw new Error(`revoke did not finish: ${args.join(' ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`revoke exited ${code}: ${args.join(' ')}`);
  return { inactive, replaced };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { single: [], unrecorded: [], recorded: [] };

(json ? console.error : console.log)(`revoke benchmark: ${PLANS} IAM plans on moto, ${RUNS} runs per case, node ${process.version}, ${os.cpus().length} cores`);
for (let run = 0; run < RUNS; run++) {
  const { dir, users } = await fleet(`r${run}`);
  execFileSync(process.execPath, [bin, 'validate', 'plans/'], { cwd: dir, env, stdio: 'ignore' });
  const pick = (i) => ({ user: users[i], file: path.join('plans', `p${i}.yaml`), store: path.join(dir, 'plans', `p${i}.json`) });
  // Keys keyrot never saw: created by hand (the owner is found only by asking the issuers).
  const a = pick(Math.floor(PLANS * 0.7));
  const b = pick(Math.floor(PLANS * 0.3));
  const keyA = (await iam.send(new CreateAccessKeyCommand({ UserName: a.user }))).AccessKey.AccessKeyId;
  const keyB = (await iam.send(new CreateAccessKeyCommand({ UserName: b.user }))).AccessKey.AccessKeyId;
  results.single.push(await measure(dir, [b.file], b.user, keyB, b.store));
  results.unrecorded.push(await measure(dir, ['plans/'], a.user, keyA, a.store));
  // A key keyrot issued itself (its state and audit log name it).
  const c = pick(Math.floor(PLANS * 0.5));
  execFileSync(process.execPath, [bin, 'run', '--yes', c.file], { cwd: dir, env, stdio: 'ignore' });
  const keyC = JSON.parse(readFileSync(c.store, 'utf8')).current.keyId;
  results.recorded.push(await measure(dir, ['plans/'], c.user, keyC, c.store));
  rmSync(dir, { recursive: true, force: true });
}
moto.stop();
rmSync(cacheDir, { recursive: true, force: true });

const summary = (xs) => ({ inactiveMs: median(xs.map((x) => x.inactive)), replacedAfterMs: median(xs.map((x) => x.replaced - x.inactive)), samples: xs });
const base = median(results.single.map((x) => x.inactive));
const cases = [
  ['one plan file (baseline)', summary(results.single)],
  [`${PLANS} plans, key not in keyrot's records`, summary(results.unrecorded)],
  [`${PLANS} plans, key in keyrot's records`, summary(results.recorded)],
];
if (json) {
  console.log(JSON.stringify({ plans: PLANS, runs: RUNS, node: process.version, cases: cases.map(([name, s]) => ({ name, ...s, ratio: s.inactiveMs / base })) }, null, 2));
} else {
  console.log(`${'case (median)'.padEnd(44)} ${'inactive ms'.padStart(11)} ${'vs 1 plan'.padStart(10)} ${'then replaced ms'.padStart(20)}`);
  for (const [name, s] of cases) {
    console.log(`${name.padEnd(44)} ${s.inactiveMs.toFixed(0).padStart(11)} ${`${(s.inactiveMs / base).toFixed(2)}x`.padStart(10)} ${s.replacedAfterMs.toFixed(0).padStart(20)}`);
  }
  console.log('targets (issue 9): inactive <= 1000 ms with 200 plans, replacement published <= 3000 ms later');
}
