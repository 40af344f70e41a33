// File-system operations of one IAM rotation (file store, drain 0s, soak 0s) against moto, counted
// with strace on the keyrot process and its threads: fsync/fdatasync (all of them), and, under the
// plan's folder only (its state, lock, audit log and published file), files opened for writing, files
// opened for reading, renames and mkdirs. The first key is issued before, untraced.
// Needs strace (prints {"skipped": "..."} without it). Usage: npm run build && node bench/fsops.mjs [--json]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { freePort } from './peers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const bin = path.join(root, 'bin', 'keyrot.js');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const strace = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));
if (!strace) {
  console.log(JSON.stringify({ skipped: 'strace not installed' }));
  process.exit(0);
}

const motoBin = execFileSync('bash', [path.join(root, 'scripts/test-peers/moto.sh'), 'install'], { encoding: 'utf8' }).trim().split('\n').pop();
const port = await freePort();
const moto = spawn(motoBin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
const endpoint = `http://127.0.0.1:${port}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'keyrot-bench-fsops-'));
let out;
try {
  for (let i = 0; ; i++) {
    if (await fetch(`${endpoint}/moto-api/data.json`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error('moto did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  await new IAMClient({ region: 'us-east-1', endpoint, credentials: creds }).send(new CreateUserCommand({ UserName: 'fs-svc' }));
  writeFileSync(path.join(work, 'p.yaml'), [
    'apiVersion: keyrot/v1', 'name: fs',
    `source: { type: aws-iam, user: fs-svc, region: us-east-1, endpoint: "${endpoint}", verifyTimeout: 10s }`,
    'publish: [ { type: file, path: p.json } ]', 'drain: 0s', 'soak: 0s', '',
  ].join('\n'));
  const env = {
    ...process.env, NO_COLOR: '1', AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  };
  const run = (pre) => {
    const r = spawnSync(pre[0] ?? process.execPath, [...pre.slice(1), ...(pre.length ? [process.execPath] : []), bin, 'run', '--yes', '--plain', 'p.yaml'], { cwd: work, env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`keyrot run exited ${r.status}`);
  };
  run([]); // the first key, untraced
  const trace = path.join(work, 'strace.txt');
  run([strace, '-f', '-qq', '-o', trace, '-e', 'trace=openat,open,fsync,fdatasync,mkdir,mkdirat,rename,renameat,renameat2']);
  const lines = readFileSync(trace, 'utf8').split('\n');
  const inWork = (l) => l.includes(`"${work}`);
  const ok = (l) => !/= -1 /.test(l);
  const count = (re, onlyWork = true) => lines.filter((l) => re.test(l) && ok(l) && (!onlyWork || inWork(l))).length;
  out = {
    fsync: count(/\b(fsync|fdatasync)\(/, false),
    openWrite: count(/\bopen(at)?\(.*O_(WRONLY|RDWR)/),
    openRead: count(/\bopen(at)?\(.*O_RDONLY/),
    mkdir: count(/\bmkdir(at)?\(/),
    rename: count(/\brename(at2?)?\(/),
  };
} finally {
  moto.kill();
  rmSync(work, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify(out, null, 2));
else console.log(`one IAM rotation (file store): ${out.fsync} fsync/fdatasync, ${out.openWrite} files opened for writing, ${out.openRead} for reading, ${out.mkdir} mkdir, ${out.rename} rename (under the plan's folder)`);
