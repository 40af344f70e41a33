// Issue 12, harness item 5 (the notification and hook paths, failures included): canary values in
// every credential variable keyrot holds, and the secrets it mints, must never show up in stdout,
// stderr, the state folder, the audit log, a webhook's body or headers, a hook's environment or a
// hook's output, whether the run succeeds, a hook fails, a receiver fails, a store refuses, or the
// process is killed mid-publish and resumed. Checks name which value leaked by index, never the value.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsKit, type Run } from '../helpers/aws-kit.js';
import { leakedIndexes, readStore, secretsIn } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startMoto, type Moto } from '../peers/moto.js';
import { recordFaults } from './faults.js';

let moto: Moto;
let ws: Workspace;
let hooks: { url: string; failing: string; received: { headers: IncomingHttpHeaders; body: string }[]; server: Server };
const { keyrot, createUser, STATE } = awsKit(() => ({ moto, ws }));

// What keyrot holds in its environment; moto (signature checks off) accepts any AWS secret.
const canary = {
  AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
  AWS_SESSION_TOKEN: randomBytes(48).toString('base64'),
  VAULT_TOKEN: `hvs.${randomBytes(18).toString('base64url')}`,
  AZURE_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  HOOK_SIGNING_KEY: randomBytes(24).toString('hex'),
  HOOK_AUTH: `Bearer ${randomBytes(24).toString('hex')}`,
};

beforeAll(async () => {
  moto = await startMoto();
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(req.url?.startsWith('/failing') ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hooks = { url: `${origin}/hooks/refresh`, failing: `${origin}/failing/hooks`, received, server };
}, 300_000);
afterAll(async () => {
  hooks.server.closeAllConnections();
  await new Promise<void>((resolve) => hooks.server.close(() => resolve()));
  await moto?.stop();
});

const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)])) : []);

describe('canaries through notifications and hooks (aws-iam on moto -> file store)', () => {
  afterAll(() => recordFaults('canaries through notifications and hooks (aws-iam on moto -> file store)', { 'canary runs (success and failure paths)': 1 }));

  it('no secret and no credential of keyrot reaches any output, on success and failure paths alike', async () => {
    ws = workspace();
    try {
      await moto.reset();
      await createUser('svc');
      // A hook that fails, printing its whole environment and a file holding keyrot's credentials
      // (as a misconfigured deploy script would); another that dumps its environment for inspection.
      writeFileSync(path.join(ws.dir, 'creds.txt'), Object.entries(canary).map(([k, v]) => `${k}=${v}`).join('\n'));
      const plan = (name: string, extra: Record<string, unknown> = {}) => ws.plan(name, {
        apiVersion: 'keyrot/v1', name,
        source: { type: 'aws-iam', user: 'svc', region: 'us-east-1', endpoint: moto.endpoint, verifyTimeout: '10s' },
        publish: [{ type: 'file', path: `${name}.json` }],
        drain: '1s', lastUsed: { quietFor: '1s', maxWait: '30s' }, soak: '1s',
        notify: [
          { type: 'webhook', url: hooks.url, signingKeyEnv: 'HOOK_SIGNING_KEY', headersFromEnv: { Authorization: 'HOOK_AUTH' } },
          { type: 'webhook', url: hooks.failing, retries: 0 },
          { type: 'command', run: 'env | sort > "hook-env-$KEYROT_OUTCOME.txt"' },
          { type: 'command', run: 'env; cat creds.txt; echo "token: $VAULT_TOKEN"; exit 3', env: ['VAULT_TOKEN'] },
        ],
        ...extra,
      });
      const { AWS_SECRET_ACCESS_KEY, ...env } = canary;
      const go = (args: string[]) => keyrot(args, { creds: { accessKeyId: 'testing', secretAccessKey: AWS_SECRET_ACCESS_KEY }, env });
      const runs: Run[] = [];
      const secrets = new Set<string>();
      const collect = (name: string) => secretsIn(readStore(path.join(ws.dir, `${name}.json`))).forEach((s) => secrets.add(s));

      // 1. Success: a first key, then a full rotation, every hook failing loudly along the way.
      const main = plan('canary');
      for (let i = 0; i < 2; i++) {
        runs.push(await go(['run', '--yes', '--json', '--state', STATE, main]));
        expect(runs.at(-1)!.code, runs.at(-1)!.stderr).toBe(0);
        collect('canary');
      }
      // 2. Killed right after the new key reached the store, then resumed (the secret is read back).
      runs.push(await keyrot(['run', '--yes', '--json', '--state', STATE, main], { creds: { accessKeyId: 'testing', secretAccessKey: AWS_SECRET_ACCESS_KEY }, env: { ...env, KEYROT_TEST_KILL_AFTER: 'publish:acting#2' } }));
      expect(runs.at(-1)!.signal).toBe('SIGKILL');
      collect('canary');
      runs.push(await go(['run', '--yes', '--json', '--state', STATE, main]));
      expect(runs.at(-1)!.code, runs.at(-1)!.stderr).toBe(0);
      collect('canary');
      // 3. A store that refuses (a secret keyrot does not manage): the new key is created, then held.
      writeFileSync(path.join(ws.dir, 'refused.json'), '{"current": "not keyrot\'s"}');
      const refused = plan('refused', { source: { type: 'generated' } });
      runs.push(await go(['run', '--yes', '--state', STATE, refused]));
      expect(runs.at(-1)!.code).toBe(3);
      runs.push(await go(['status', '--state', STATE]), await go(['history', '--state', STATE]), await go(['history', '--json', '--state', STATE]));

      expect(secrets.size).toBeGreaterThanOrEqual(3);
      expect(hooks.received.length).toBeGreaterThan(0);
      const hookEnvs = readdirSync(ws.dir).filter((n) => n.startsWith('hook-env-'));
      expect(hookEnvs.length).toBeGreaterThan(0);

      const watched = [...secrets, ...Object.values(canary)];
      const outputs: Record<string, string> = {
        'stdout and stderr': runs.map((r) => `${r.stdout}\n${r.stderr}`).join('\n'),
        'the state folder (state, audit log, ledger, locks)': walk(path.join(ws.dir, STATE)).map((f) => readFileSync(f, 'utf8')).join('\n'),
        'webhook bodies and headers': JSON.stringify(hooks.received.map((r) => ({ ...r, headers: { ...r.headers, authorization: undefined } }))),
        "hooks' environments": hookEnvs.map((f) => readFileSync(path.join(ws.dir, f), 'utf8')).join('\n'),
      };
      const leaks = Object.fromEntries(Object.entries(outputs).map(([where, text]) => [where, leakedIndexes(text, watched)]));
      expect(leaks).toEqual(Object.fromEntries(Object.keys(outputs).map((k) => [k, []])));
      // The header a receiver was meant to get did arrive (and only there).
      expect(hooks.received.some((r) => r.headers.authorization === canary.HOOK_AUTH)).toBe(true);
      // The failing hook's output was reported, masked.
      expect(outputs['stdout and stderr']).toMatch(/token: \[redacted sha256:[0-9a-f]{12}\]/);
    } finally {
      ws.cleanup();
    }
  }, 120_000);
});
