// keyrot revoke never waits where a signal cannot reach it: a report on a named pipe (or one that
// never ends), a secret on a stdin nobody writes to, an issuer that stalls during the owner search.
// SIGTERM or Ctrl-C (SIGINT) ends it within a second with exit 130, whatever it waits on, and a
// report that is too large or not a file is refused at once.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, keyrot, requireBuild, testEnv } from '../helpers/cli.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeAll(() => {
  requireBuild();
});
beforeEach(() => {
  ws = workspace();
  ws.plan('api', localPlan('api'));
});
afterEach(() => ws.cleanup());

/** keyrot started with stdin a pipe the test holds open and never writes to. */
function startWaiting(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ws.dir, env: { ...testEnv(), NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, done, output: () => output };
}

/** Let it reach its wait, send the signal, and time how long it takes to end. */
async function signalled(run: ReturnType<typeof startWaiting>, signal: NodeJS.Signals) {
  await new Promise((r) => setTimeout(r, 1_500));
  const sent = Date.now();
  run.child.kill(signal);
  const ended = await Promise.race([run.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000))]);
  if (!ended) run.child.kill('SIGKILL');
  return { ...(ended ?? { code: null, signal: null }), took: Date.now() - sent };
}

const mkfifo = (name: string) => {
  const fifo = path.join(ws.dir, name);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  return fifo;
};

describe('revoke ends on a signal whatever it waits on', () => {
  it('a report on a named pipe whose writer says nothing: SIGTERM ends it within a second, exit 130', async () => {
    const fifo = mkfifo('report.fifo');
    const run = startWaiting(['revoke', '--from-report', fifo, '--yes', 'api.yaml']);
    const writer = openSync(fifo, 'w'); // a writer that holds the pipe open and never writes
    try {
      const ended = await signalled(run, 'SIGTERM');
      expect(ended.code, run.output()).toBe(130);
      expect(ended.took).toBeLessThan(1_000);
    } finally {
      closeSync(writer);
    }
  });

  it('a named pipe nobody opens for writing: SIGINT ends it within a second, exit 130', async () => {
    const run = startWaiting(['revoke', '--from-report', mkfifo('nobody.fifo'), '--yes', 'api.yaml']);
    const ended = await signalled(run, 'SIGINT');
    expect(ended.code, run.output()).toBe(130);
    expect(ended.took).toBeLessThan(1_000);
  });

  it('--secret-stdin on a pipe that never ends: SIGTERM ends it within a second, exit 130', async () => {
    const run = startWaiting(['revoke', '--secret-stdin', '--yes', 'api.yaml']);
    const ended = await signalled(run, 'SIGTERM');
    expect(ended.code, run.output()).toBe(130);
    expect(ended.took).toBeLessThan(1_000);
  });

  it('an issuer that stalls during the owner search: SIGTERM ends the search at once, exit 130', async () => {
    // An IAM endpoint that accepts the connection and never answers.
    const stalled = net.createServer(() => undefined);
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    const { port } = stalled.address() as net.AddressInfo;
    ws.plan('aws', { ...localPlan('aws'), source: { type: 'aws-iam', user: 'svc', region: 'us-east-1', endpoint: `http://127.0.0.1:${port}` } });
    try {
      const noFile = path.join(ws.dir, 'no-aws-config');
      const creds = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_CONFIG_FILE: noFile, AWS_SHARED_CREDENTIALS_FILE: noFile, AWS_EC2_METADATA_DISABLED: 'true' };
      const run = startWaiting(['revoke', '--key', 'AKIAIOSFODNN7EXAMPLE', '--yes', ws.dir], creds);
      const ended = await signalled(run, 'SIGTERM');
      expect(ended.code, run.output()).toBe(130);
      expect(ended.took).toBeLessThan(1_000);
    } finally {
      stalled.close();
    }
  });
});

describe('a report that is not a file is refused at once', () => {
  it('a device (/dev/zero, which never ends) is refused with exit 2, without reading it', async () => {
    const result = await keyrot(['revoke', '--from-report', '/dev/zero', '--yes', 'api.yaml'], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not a file or a pipe');
  });

  it('a report through a pipe (`<(gitleaks …)`) is read like a file', async () => {
    const fifo = mkfifo('empty.fifo');
    const run = keyrot(['revoke', '--from-report', fifo, '--yes', 'api.yaml'], { cwd: ws.dir });
    const writer = openSync(fifo, 'w');
    closeSync(writer); // the scanner found nothing and wrote nothing
    const result = await run;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('it is empty');
  });
});
