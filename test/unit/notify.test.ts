// Notifications against a real HTTP receiver on 127.0.0.1 and real shell commands: signed bodies,
// no secret in any of them, retries, timeouts, `on` filters, and failures that never throw.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/log.js';
import type { RunEvent } from '../../src/engine/events.js';
import type { Notice } from '../../src/notify/notice.js';
import { createNotifier, type NotifierDeps } from '../../src/notify/notifier.js';
import { notifyEntrySchema, type NotifyEntry } from '../../src/notify/schema.js';
import { planSchema } from '../../src/plan/schema.js';
import { rememberSecret } from '../../src/secrets/redact.js';

// ---- a webhook receiver ---------------------------------------------------------------------------

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers each request with what `answer(n)` says (n counts from 1); 'stall' never answers. */
async function receiver(answer: (n: number) => number | 'stall' = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const status = answer(received.length);
      if (status !== 'stall') res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/refresh`;
  const close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return { url, received, close };
}

// ---- the notifier, with captured events and audit records -----------------------------------------

const SIGNING_KEY = 'test-signing-key-0123456789';
const FAKE_SECRET = `sk_fake_${randomBytes(18).toString('base64url')}`;
rememberSecret(FAKE_SECRET); // as the engine does the moment a secret enters the process

let dir: string;
let events: RunEvent[];
let audit: Omit<AuditRecord, 'actor'>[];
let closers: (() => Promise<void>)[];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-notify-'));
  events = [];
  audit = [];
  closers = [];
});
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  rmSync(dir, { recursive: true, force: true });
});

const entries = (...raw: Record<string, unknown>[]): NotifyEntry[] => raw.map((e) => notifyEntrySchema.parse(e));

function notifier(list: NotifyEntry[], deps: Partial<NotifierDeps> = {}) {
  return createNotifier(list, {
    planDir: dir,
    env: { ...process.env, HOOK_KEY: SIGNING_KEY },
    warn: (w) => events.push({ type: 'warning', ...w }),
    audit: { append: async (r) => void audit.push(r) },
    now: () => new Date('2026-01-01T00:15:00Z'),
    retryDelayMs: 10,
    ...deps,
  });
}

async function listen(answer?: (n: number) => number | 'stall') {
  const r = await receiver(answer);
  closers.push(r.close);
  return r;
}

const notice = (outcome: Notice['outcome'] = 'reload', extra: Partial<Notice> = {}): Notice => ({
  plan: 'payments', rotationId: '20260101T000000Z-ab12', outcome, phase: 'drain',
  oldKeyId: 'key-old', newKeyId: 'key-new', fingerprint: 'sha256:0123456789ab', ...extra,
});

const warnings = () => events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);

// ---- webhooks -------------------------------------------------------------------------------------

describe('webhook notifications', () => {
  it('POST a JSON body signed with HMAC-SHA256 of its exact bytes, carrying no secret', async () => {
    const hook = await listen();
    // A careless caller hands over a notice with a secret in it: it must not leave the process.
    const leaky = { ...notice('reload', { message: `consumers should reload (was ${FAKE_SECRET})` }), secret: FAKE_SECRET } as Notice;
    await notifier(entries({ type: 'webhook', url: hook.url, signingKeyEnv: 'HOOK_KEY' }))(leaky);

    expect(hook.received).toHaveLength(1);
    const [{ headers, body }] = hook.received as [Received];
    expect(headers['content-type']).toBe('application/json');
    const expected = Buffer.from(`sha256=${createHmac('sha256', SIGNING_KEY).update(body).digest('hex')}`);
    const got = Buffer.from(String(headers['x-keyrot-signature']));
    expect(got.length === expected.length && timingSafeEqual(got, expected)).toBe(true);

    const json = JSON.parse(body);
    expect(json).toEqual({
      plan: 'payments', rotationId: '20260101T000000Z-ab12', outcome: 'reload', phase: 'drain',
      oldKeyId: 'key-old', newKeyId: 'key-new', fingerprint: 'sha256:0123456789ab',
      message: expect.stringMatching(/^consumers should reload \(was \[redacted sha256:[0-9a-f]{12}\]\)$/),
      time: '2026-01-01T00:15:00.000Z',
    });
    expect(Object.keys(json)).not.toContain('secret');
    expect(body).not.toContain(FAKE_SECRET);
    expect(JSON.stringify(headers)).not.toContain(FAKE_SECRET);
    expect(JSON.stringify(headers)).not.toContain(SIGNING_KEY);
    expect(events).toEqual([]);
    expect(audit).toEqual([]);
  });

  it('sends no signature header when no signing key is named', async () => {
    const hook = await listen();
    await notifier(entries({ type: 'webhook', url: hook.url }))(notice());
    expect(hook.received[0]!.headers['x-keyrot-signature']).toBeUndefined();
  });

  it('retries with backoff through 503s and succeeds quietly', async () => {
    const hook = await listen((n) => (n <= 2 ? 503 : 200));
    await notifier(entries({ type: 'webhook', url: hook.url, signingKeyEnv: 'HOOK_KEY' }))(notice());
    expect(hook.received).toHaveLength(3);
    // Every attempt carries the same signed body.
    expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
    expect(warnings()).toEqual([]);
    expect(audit).toEqual([]);
  });

  it('gives up after its retries: reported, audited, never thrown', async () => {
    const hook = await listen(() => 503);
    await expect(notifier(entries({ type: 'webhook', url: hook.url, retries: 1 }))(notice('deactivated', { phase: 'deactivate' }))).resolves.toBeUndefined();
    expect(hook.received).toHaveLength(2);
    const origin = new URL(hook.url).origin;
    expect(warnings()).toEqual([`notification webhook ${origin} (deactivated) failed: HTTP 503 (2 attempts); the rotation carries on`]);
    expect(events[0]).toMatchObject({ type: 'warning', plan: 'payments', phase: 'deactivate' });
    expect(audit).toEqual([{
      time: '2026-01-01T00:15:00.000Z', plan: 'payments', rotationId: '20260101T000000Z-ab12', phase: 'deactivate', action: 'notify',
      oldKeyId: 'key-old', newKeyId: 'key-new', outcome: 'failed', detail: `webhook ${origin} (deactivated) failed: HTTP 503 (2 attempts)`,
    }]);
    // The URL's path can itself be a credential (Slack, Teams): only the origin is shown.
    expect(JSON.stringify([events, audit])).not.toContain('/hooks/refresh');
  });

  it('does not retry a 4xx other than 429', async () => {
    const hook = await listen(() => 401);
    await notifier(entries({ type: 'webhook', url: hook.url }))(notice());
    expect(hook.received).toHaveLength(1);
    expect(warnings()[0]).toContain('HTTP 401 (1 attempt)');
  });

  it('retries a 429', async () => {
    const hook = await listen((n) => (n === 1 ? 429 : 204));
    await notifier(entries({ type: 'webhook', url: hook.url }))(notice());
    expect(hook.received).toHaveLength(2);
    expect(warnings()).toEqual([]);
  });

  it('times out each attempt of a receiver that never answers', async () => {
    const hook = await listen(() => 'stall');
    const started = Date.now();
    await notifier(entries({ type: 'webhook', url: hook.url, timeout: '200ms', retries: 1 }))(notice());
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(hook.received).toHaveLength(2);
    expect(warnings()[0]).toContain('no answer within 200ms (2 attempts)');
    expect(audit).toHaveLength(1);
  });

  it('reports a receiver that is not there, after retrying', async () => {
    const hook = await listen();
    await hook.close();
    await notifier(entries({ type: 'webhook', url: hook.url, retries: 2 }))(notice());
    expect(warnings()[0]).toMatch(/failed: ECONNREFUSED \(3 attempts\)/);
  });

  it('never prints or audits the credentials or path of a URL that carries user:pass@ (one that bypassed validation)', async () => {
    const hook = await listen();
    const password = `pw${randomBytes(9).toString('hex')}`;
    const url = new URL(hook.url);
    const raw = { type: 'webhook', url: `http://probe:${password}@${url.host}/hooks/secret-path`, timeout: 1_000, retries: 0 } as NotifyEntry;
    await notifier([raw])(notice());
    expect(hook.received).toEqual([]); // fetch refuses such a URL
    expect(warnings()).toEqual([`notification webhook ${url.origin} (reload) failed: Request cannot be constructed from a URL that includes credentials: ${url.origin} (1 attempt); the rotation carries on`]);
    const said = JSON.stringify([events, audit]);
    expect(said.includes(password)).toBe(false);
    expect(said.includes('secret-path')).toBe(false);
  });

  it('sends headers taken from environment variables, and nothing when one is not set', async () => {
    const hook = await listen();
    const token = `Bearer ${randomBytes(12).toString('hex')}`;
    rememberSecret(token);
    await notifier(entries({ type: 'webhook', url: hook.url, headersFromEnv: { Authorization: 'HOOK_AUTH' } }), { env: { HOOK_AUTH: token } })(notice());
    expect(hook.received[0]!.headers.authorization === token).toBe(true);
    await notifier(entries({ type: 'webhook', url: hook.url, headersFromEnv: { Authorization: 'UNSET_HOOK_AUTH' } }), { env: {} })(notice());
    expect(hook.received).toHaveLength(1);
    expect(warnings()[0]).toContain('header variable UNSET_HOOK_AUTH (for Authorization) is not set; nothing was sent');
  });

  it('sends nothing when the signing key variable is not set, and says which variable', async () => {
    const hook = await listen();
    await notifier(entries({ type: 'webhook', url: hook.url, signingKeyEnv: 'MISSING_HOOK_KEY' }), { env: {} })(notice());
    expect(hook.received).toEqual([]);
    expect(warnings()[0]).toContain('signing key variable MISSING_HOOK_KEY is not set; nothing was sent');
    expect(audit[0]).toMatchObject({ action: 'notify', outcome: 'failed' });
  });
});

// ---- filters and failure handling ------------------------------------------------------------------

describe('the notifier', () => {
  it('tells each entry only the outcomes in its `on` list (default: all)', async () => {
    const all = await listen();
    const some = await listen();
    const notify = notifier(entries({ type: 'webhook', url: all.url }, { type: 'webhook', url: some.url, on: ['published', 'deleted'] }));
    for (const outcome of ['published', 'reload', 'deactivated', 'deleted', 'done'] as const) await notify(notice(outcome));
    expect(all.received.map((r) => JSON.parse(r.body).outcome)).toEqual(['published', 'reload', 'deactivated', 'deleted', 'done']);
    expect(some.received.map((r) => JSON.parse(r.body).outcome)).toEqual(['published', 'deleted']);
  });

  it('does nothing without entries', async () => {
    await notifier([])(notice());
    await createNotifier(undefined, { planDir: dir, warn: (w) => events.push({ type: 'warning', ...w }), audit: { append: async () => undefined } })(notice());
    expect(events).toEqual([]);
  });

  it('never throws, even when the audit log cannot be written', async () => {
    const hook = await listen(() => 500);
    const notify = notifier(entries({ type: 'webhook', url: hook.url, retries: 0 }), { audit: { append: async () => { throw new Error('ENOSPC'); } } });
    await expect(notify(notice())).resolves.toBeUndefined();
    expect(warnings()).toEqual([expect.stringContaining('HTTP 500'), 'could not write the audit log: ENOSPC']);
  });
});

// ---- commands -------------------------------------------------------------------------------------

describe('command notifications', () => {
  it('runs the command line with /bin/sh in the plan folder, the event in KEYROT_* variables and the variables its env: lists', async () => {
    const script = 'for v in PLAN OUTCOME PHASE OLD_KEY_ID NEW_KEY_ID ROTATION_ID FINGERPRINT; do eval "echo $v=\\$KEYROT_$v"; done > event.txt; echo "PARENT=$PARENT_MARK" >> event.txt';
    await notifier(entries({ type: 'command', run: script, env: ['PARENT_MARK'] }), { env: { ...process.env, PARENT_MARK: 'inherited' } })(notice('published', { phase: 'publish' }));
    expect(warnings()).toEqual([]);
    expect(readFileSync(path.join(dir, 'event.txt'), 'utf8').trim().split('\n')).toEqual([
      'PLAN=payments', 'OUTCOME=published', 'PHASE=publish', 'OLD_KEY_ID=key-old', 'NEW_KEY_ID=key-new',
      'ROTATION_ID=20260101T000000Z-ab12', 'FINGERPRINT=sha256:0123456789ab', 'PARENT=inherited',
    ]);
  });

  it("gets only PATH, HOME, the KEYROT_* event and what env: lists: never keyrot's own credentials", async () => {
    const canary = { VAULT_TOKEN: `hvs.${randomBytes(16).toString('hex')}`, AWS_SECRET_ACCESS_KEY: randomBytes(20).toString('base64'), AZURE_CLIENT_SECRET: randomBytes(16).toString('hex') };
    const env = { PATH: process.env.PATH, HOME: '/home/keyrot-test', DEPLOY_TARGET: 'payments', UNLISTED: 'x', KEYROT_HOOK_KEY: SIGNING_KEY, ...canary };
    await notifier(entries({ type: 'command', run: 'env > env.txt', env: ['DEPLOY_TARGET'] }), { env })(notice());
    const names = readFileSync(path.join(dir, 'env.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('=')[0]!);
    expect(names.filter((n) => !['PWD', 'SHLVL', '_'].includes(n)).sort()).toEqual([
      'DEPLOY_TARGET', 'HOME', 'KEYROT_FINGERPRINT', 'KEYROT_MESSAGE', 'KEYROT_NEW_KEY_ID', 'KEYROT_OLD_KEY_ID', 'KEYROT_OUTCOME',
      'KEYROT_PHASE', 'KEYROT_PLAN', 'KEYROT_ROTATION_ID', 'KEYROT_TIME', 'PATH',
    ]);
    const text = readFileSync(path.join(dir, 'env.txt'), 'utf8');
    expect(Object.values(canary).some((v) => text.includes(v))).toBe(false);
  });

  it("masks the value of every keyrot credential variable in a failing command's output, even one env: passes on", async () => {
    const canary = { VAULT_TOKEN: `hvs.${randomBytes(16).toString('hex')}`, AWS_SESSION_TOKEN: randomBytes(24).toString('base64'), AZURE_CLIENT_SECRET: randomBytes(16).toString('hex') };
    // A hook that got VAULT_TOKEN on purpose, and one that prints what it read elsewhere (a file, a cache).
    writeFileSync(path.join(dir, 'leak.txt'), `AWS_SESSION_TOKEN=${canary.AWS_SESSION_TOKEN} AZURE_CLIENT_SECRET=${canary.AZURE_CLIENT_SECRET}`);
    const run = 'echo "VAULT_TOKEN=$VAULT_TOKEN"; cat leak.txt; exit 1';
    await notifier(entries({ type: 'command', run, env: ['VAULT_TOKEN'] }), { env: { PATH: process.env.PATH, ...canary } })(notice('failed'));
    const said = JSON.stringify([events, audit]);
    expect(warnings()[0]).toMatch(/output: VAULT_TOKEN=\[redacted sha256:[0-9a-f]{12}\] \| AWS_SESSION_TOKEN=\[redacted sha256:[0-9a-f]{12}\] AZURE_CLIENT_SECRET=\[redacted/);
    expect(audit).toHaveLength(1);
    expect(Object.values(canary).some((v) => said.includes(v))).toBe(false);
  });

  it('refuses an env: entry that is not a variable name', () => {
    expect(notifyEntrySchema.safeParse({ type: 'command', run: 'true', env: ['A=B'] }).success).toBe(false);
  });

  it('puts no secret in the environment it passes', async () => {
    const leaky = { ...notice(), secret: FAKE_SECRET } as Notice;
    await notifier(entries({ type: 'command', run: 'env > env.txt' }))(leaky);
    const env = readFileSync(path.join(dir, 'env.txt'), 'utf8');
    expect(env).toContain('KEYROT_NEW_KEY_ID=key-new');
    expect(env).not.toContain(FAKE_SECRET);
    expect(env).not.toMatch(/^KEYROT_SECRET/m);
  });

  it('reports a failing command with its exit code and a short, redacted tail of its output', async () => {
    const run = `seq 1 200; echo "token was ${FAKE_SECRET}" >&2; echo deploy not found >&2; exit 3`;
    await notifier(entries({ type: 'command', run }))(notice('held', { phase: 'last-used' }));
    const [warning] = warnings();
    expect(warning).toMatch(/^notification command "seq 1 200; .*…" \(held\) failed: exited with code 3; output: .*token was \[redacted sha256:[0-9a-f]{12}\] \| deploy not found; the rotation carries on$/);
    expect(warning).not.toContain(FAKE_SECRET);
    expect(warning!.length).toBeLessThan(500);
    expect(audit[0]).toMatchObject({ action: 'notify', outcome: 'failed', phase: 'last-used' });
  });

  it('kills a command that outlives its timeout, with everything it started', async () => {
    const started = Date.now();
    await notifier(entries({ type: 'command', run: 'echo starting; sleep 30 & sleep 30; echo never', timeout: '300ms' }))(notice());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(warnings()[0]).toContain('failed: timed out after 300ms; output: starting');
  });

  it('ignores stdin', async () => {
    await notifier(entries({ type: 'command', run: 'cat > stdin.txt' }))(notice());
    expect(warnings()).toEqual([]);
    expect(readFileSync(path.join(dir, 'stdin.txt'), 'utf8')).toBe('');
  });
});

// ---- the plan fields --------------------------------------------------------------------------------

describe('notify: in a plan', () => {
  const plan = (notify: unknown) => planSchema.safeParse({
    apiVersion: 'keyrot/v1', name: 'api', source: { type: 'generated' }, publish: [{ type: 'file', path: 'k.json' }], notify,
  });

  it('fills in defaults', () => {
    const parsed = plan([{ type: 'webhook', url: 'https://deploy.internal/hooks/refresh' }, { type: 'command', run: 'kubectl rollout restart deploy/payments', on: ['reload'] }]);
    expect(parsed.success && parsed.data.notify).toEqual([
      { type: 'webhook', url: 'https://deploy.internal/hooks/refresh', timeout: 10_000, retries: 3 },
      { type: 'command', run: 'kubectl rollout restart deploy/payments', timeout: 60_000, on: ['reload'] },
    ]);
  });

  it.each([
    ['an unknown outcome', [{ type: 'webhook', url: 'https://x.test/h', on: ['rotated'] }]],
    ['a literal signing key', [{ type: 'webhook', url: 'https://x.test/h', signingKey: 'abc' }]],
    ['a signingKeyEnv that is not a variable name', [{ type: 'webhook', url: 'https://x.test/h', signingKeyEnv: 'not a name' }]],
    ['a non-http URL', [{ type: 'webhook', url: 'file:///etc/passwd' }]],
    ['a template in a command', [{ type: 'command', run: 'echo {{secret}}' }]],
    ['an unknown type', [{ type: 'email', to: 'ops@example.com' }]],
  ])('refuses %s', (_what, notify) => {
    expect(plan(notify).success).toBe(false);
  });
  it('refuses credentials in a webhook URL, saying where they go instead', () => {
    const parsed = plan([{ type: 'webhook', url: 'https://deploy:hunter2hunter2@deploy.internal/hooks/refresh' }]);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues).toEqual([expect.objectContaining({
      path: ['notify', 0, 'url'],
      message: 'a webhook URL may not carry credentials (user:pass@): put it in signingKeyEnv or a header from an env var (headersFromEnv)',
    })]);
    expect(plan([{ type: 'webhook', url: 'https://deploy@deploy.internal/h' }]).success).toBe(false);
  });
});
