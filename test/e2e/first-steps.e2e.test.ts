// What a new user meets in the first minutes (issue 21, items 4-10): hints that paste as keyrot was
// run (`npx keyrot …` under npx) and fit the command that printed them, `plan` going on plan by plan,
// the same output flags on every command, a held run's outcome in a `| tee` log, counts in words, and
// a bare `status` that says what it read.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, keyrot, requireBuild, testEnv } from '../helpers/cli.js';
import { inPty } from '../helpers/pty.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NO_VAULT = { VAULT_ADDR: '', VAULT_TOKEN: '' };

let ws: Workspace;
beforeAll(() => {
  requireBuild();
});
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const vaultPlan = (name: string) => ws.plan(name, { ...localPlan(name), publish: [{ type: 'vault-kv2', mount: 'secret', path: `apps/${name}`, data: { key: '{{secret}}' } }] });
/** Every command a text names between backticks. */
const quoted = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('hints paste as keyrot was run (item 4)', () => {
  it('under npx every command in a hint is `npx keyrot …`; run as keyrot, `keyrot …`', async () => {
    ws.plan('demo', localPlan('demo', { drain: '0s', soak: '0s' }));
    const env = { npm_lifecycle_event: 'npx', npm_command: 'exec' };
    const held = await keyrot(['run', 'demo.yaml'], { cwd: ws.dir, env });
    const second = await keyrot(['run', 'demo.yaml'], { cwd: ws.dir, env }); // the first key, then a rotation held at the delete
    const hints = quoted(held.stderr + second.stderr);
    expect(hints.length).toBeGreaterThan(0);
    for (const h of hints.filter((c) => /keyrot /.test(c))) expect(h).toMatch(/^npx keyrot /);
    const plain = await keyrot(['run', 'demo.yaml'], { cwd: ws.dir, env: { npm_lifecycle_event: '', npm_command: '' } });
    for (const h of quoted(plain.stderr).filter((c) => /keyrot /.test(c))) expect(h).toMatch(/^keyrot /);
  });

  it('bash completion offers plan files and folders, never the .keyrot/ state folder or a hidden folder', () => {
    ws.write('payments.yaml', '');
    for (const folder of ['plans', '.keyrot', '.demo']) mkdirSync(path.join(ws.dir, folder));
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `source <("${process.execPath}" "${BIN}" completion bash); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _keyrot; echo "\${COMPREPLY[*]}"`, 'x', ...words], { cwd: ws.dir, encoding: 'utf8' }).trim();
    expect(complete('keyrot', 'run', '').split(' ').sort()).toEqual(['payments.yaml', 'plans']);
    expect(complete('keyrot', 'status', '.')).toBe('.demo'); // typed a dot: hidden folders, but never .keyrot
  });
});

describe('keyrot plan goes on plan by plan (item 5)', () => {
  it('names each plan it cannot preview, with a hint naming that plan; shows the others', async () => {
    vaultPlan('alpha');
    ws.plan('beta', localPlan('beta'));
    vaultPlan('gamma');
    const result = await keyrot(['plan', ws.dir], { cwd: ws.dir, env: NO_VAULT });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('plan beta');
    expect(result.stdout).toContain('source   generated key');
    for (const name of ['alpha', 'gamma']) {
      expect(result.stdout).toContain(`plan ${name}`);
      expect(result.stdout).toContain(`then run \`keyrot plan ${path.join(ws.dir, `${name}.yaml`)}\` again`);
    }
    expect(result.stdout).toContain('could not preview alpha, gamma');
    expect(result.stdout + result.stderr).not.toContain('<plan file>');
    const json = await keyrot(['plan', '--json', ws.dir], { cwd: ws.dir, env: NO_VAULT });
    const doc = JSON.parse(json.stdout) as { plans: Array<{ plan: string; error?: { code: string } }> };
    expect(doc.plans.map((p) => [p.plan, p.error?.code ?? null])).toEqual([['alpha', 'vault-address-missing'], ['beta', null], ['gamma', 'vault-address-missing']]);
  });

  it('says what a first rotation does: stops after verify, or (rehearse: true) rotates at once; nothing about it once a key exists', async () => {
    ws.plan('once', localPlan('once'));
    ws.plan('rehearsed', localPlan('rehearsed', { rehearse: true }));
    const before = await keyrot(['plan', 'once.yaml', 'rehearsed.yaml'], { cwd: ws.dir });
    expect(before.stdout).toContain('no key yet: the first rotation issues the key, publishes and verifies it, and stops there');
    expect(before.stdout).toContain('no key yet: the first key is issued, published and verified, then (rehearse: true) rotated at once');
    expect((await keyrot(['run', '--yes', 'once.yaml'], { cwd: ws.dir })).code).toBe(0);
    expect((await keyrot(['plan', 'once.yaml'], { cwd: ws.dir })).stdout).not.toMatch(/no key yet|stops after verify/);
  });
});

describe('the repository\'s own rotation-plans/, as a fresh clone has them, with no credentials (item 5)', () => {
  // No cloud account, no Vault, no database: each plan says what it misses, none stops the others
  // (orders-postgresql.yaml names a CA file the clone does not have: once a stack trace, exit 1).
  const noFile = () => path.join(ws.dir, 'no-such-file');
  const bare = () => ({
    ...NO_VAULT, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '', AWS_CONFIG_FILE: noFile(), AWS_SHARED_CREDENTIALS_FILE: noFile(), AWS_EC2_METADATA_DISABLED: 'true',
    AZURE_CLIENT_ID: '', AZURE_TENANT_ID: '', CLOUDFLARE_API_TOKEN: '', DD_API_KEY: '', KEYHUB_ADMIN_TOKEN: '', KEYROT_REDIS_PASSWORD: '', KEYROT_MYSQL_PASSWORD: '', PGPASSWORD: '',
  });

  it('plan, status and doctor name every plan, each failure with a hint that names a command, and never crash', async () => {
    cpSync(path.join(REPO, 'rotation-plans'), path.join(ws.dir, 'rotation-plans'), { recursive: true, filter: (src) => !src.includes(`${path.sep}.`) });
    const names = (await keyrot(['validate', 'rotation-plans/'], { cwd: ws.dir })).stdout.match(/\(([a-z0-9-]+): /g)!.map((m) => m.slice(1, -2));
    expect(names.length).toBeGreaterThan(5);
    for (const command of ['plan', 'status', 'doctor']) {
      const result = await keyrot([command, 'rotation-plans/'], { cwd: ws.dir, env: bare() });
      const said = result.stdout + result.stderr;
      expect(result.code, `${command}: ${said}`).not.toBe(1);
      expect(said).not.toMatch(/internal error|ENOENT: no such file|\n {4}at /);
      for (const name of names) expect(said, `${command} names ${name}`).toContain(name);
      expect(said).toContain(`cannot read the CA file ${path.join(ws.dir, 'rotation-plans', 'orders-db-ca.pem')} that tls.caFile names (ENOENT)`);
      expect(said).toContain(`put the CA bundle (PEM) there or fix \`tls.caFile\` in rotation-plans/orders-postgresql.yaml, then run \`keyrot ${command} rotation-plans/orders-postgresql.yaml\` again`);
      expect(said).not.toContain('<plan file>');
    }
  });
});

describe('one set of output flags on every command (item 6)', () => {
  it('--plain, --json, --output and --no-color are taken by every command that reports', async () => {
    ws.plan('demo', localPlan('demo'));
    for (const args of [['status', 'demo.yaml'], ['validate', 'demo.yaml'], ['plan', 'demo.yaml'], ['doctor', 'demo.yaml'], ['history', 'demo'], ['rollback', 'demo.yaml'], ['approve', 'demo.yaml'], ['abandon', 'demo.yaml'], ['schema']]) {
      const result = await keyrot([...args, '--plain', '--no-color'], { cwd: ws.dir });
      expect(result.stderr, args.join(' ')).not.toMatch(/unknown option/);
    }
  });
});

describe('hints fit the command that printed them (item 7)', () => {
  it('a plan without VAULT_ADDR: plan and doctor say how to set it and to run themselves again; no "state was saved"', async () => {
    vaultPlan('payments');
    const plan = await keyrot(['plan', 'payments.yaml'], { cwd: ws.dir, env: NO_VAULT });
    expect(plan.stdout).toContain('`export VAULT_ADDR=https://vault.example.internal:8200`');
    expect(plan.stdout).toContain('then run `keyrot plan payments.yaml` again');
    expect(plan.stdout + plan.stderr).not.toContain('keyrot --help');
    const doctor = await keyrot(['doctor', 'payments.yaml'], { cwd: ws.dir, env: NO_VAULT });
    expect(doctor.stdout).toContain('then run `keyrot doctor payments.yaml` again');
    expect(doctor.stdout).not.toMatch(/state was saved|`keyrot run /);
  });

  it('an invalid plan names the files to validate again; a bad flag names its command\'s help', async () => {
    ws.write('bad.yaml', 'apiVersion: keyrot/v1\nname: bad\n');
    const invalid = await keyrot(['run', 'bad.yaml'], { cwd: ws.dir });
    expect(invalid.stderr).toContain('fix each line above, then check again: `keyrot validate bad.yaml`');
    ws.plan('demo', localPlan('demo'));
    const flag = await keyrot(['run', '--wait-lock', 'soon', 'demo.yaml'], { cwd: ws.dir });
    expect(flag.stderr).toContain('see `keyrot run --help`');
    // Flags commander refuses name the command's help too, in text and in JSON.
    const unknown = await keyrot(['run', '--bogus', 'demo.yaml'], { cwd: ws.dir });
    expect(unknown.stderr).toContain("unknown option '--bogus'\n(run `keyrot run --help` for usage)");
    const nested = await keyrot(['state', 'migrate', '--to', 'x'], { cwd: ws.dir });
    expect(nested.stderr).toContain('(run `keyrot state migrate --help` for usage)');
    const json = await keyrot(['run', '--bogus', '--json', 'demo.yaml'], { cwd: ws.dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ type: 'error', code: 'usage', hint: 'see `keyrot run --help`' });
    expect(json.stderr).toBe('');
  });

  it('a plan name keyrot does not know, and a failed doctor: the hint names the command that lists or checks them', async () => {
    ws.plan('api', localPlan('api'));
    const unknown = await keyrot(['status', 'apj'], { cwd: ws.dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('the plans here and their names: `keyrot validate .`');
    expect((await keyrot(['validate', '.'], { cwd: ws.dir })).stdout).toContain('(api: generated -> file)');
    vaultPlan('payments');
    const doctor = await keyrot(['doctor', 'payments.yaml', 'api.yaml'], { cwd: ws.dir, env: NO_VAULT });
    expect(doctor.code).toBe(4);
    expect(doctor.stdout).toContain('checks failed for payments: fix what each FAIL line says, then check again: `keyrot doctor payments.yaml api.yaml`');
  });

  it('revoke of a plan with no key yet says so, and names the command that shows its keys (not "takes exactly one plan")', async () => {
    ws.plan('demo', localPlan('demo'));
    const result = await keyrot(['revoke', '--yes', 'demo.yaml'], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('plan demo has no key in use: its issuer holds no active key, so there is none to revoke');
    expect(result.stderr).toContain('its keys: `keyrot status demo.yaml`');
    expect(result.stderr).not.toContain('takes exactly one plan');
  });

  it('status names the command that continues a rotation whose wait is over', async () => {
    ws.plan('demo', localPlan('demo', { rehearse: true, drain: '0s', soak: '0s' }));
    expect((await keyrot(['run', '--no-wait', 'demo.yaml'], { cwd: ws.dir })).code).toBe(3); // held at the delete: no terminal, no --yes
    const status = await keyrot(['status', 'demo.yaml'], { cwd: ws.dir });
    expect(status.stdout).not.toContain('run again to continue');
  });
});

describe('a held run in a `| tee` log (item 9)', () => {
  it('the outcome of a held run is on stdout too', async () => {
    ws.plan('demo', localPlan('demo', { rehearse: true, drain: '0s', soak: '0s' }));
    const held = await keyrot(['run', 'demo.yaml'], { cwd: ws.dir });
    expect(held.code).toBe(3);
    expect(held.stdout).toMatch(/demo outcome: held \(delete-unattended\): permanent delete of key-\w+ held/);
  });
});

describe('small things (item 10)', () => {
  it('counts in words: "1 target serves", "1 problem in 1 plan file", "2 plans"', async () => {
    ws.plan('one', localPlan('one'));
    ws.plan('two', localPlan('two'));
    const run = await keyrot(['run', '--yes', 'one.yaml', 'two.yaml'], { cwd: ws.dir });
    expect(run.stdout).toMatch(/1 target serves key-/);
    expect(run.stdout).toContain('2 plans: 2 done');
    expect(run.stdout + run.stderr).not.toContain('(s)');
    ws.write('bad.yaml', 'apiVersion: keyrot/v1\nname: bad\nsource: { type: generated }\n');
    expect((await keyrot(['validate', 'bad.yaml'], { cwd: ws.dir })).stderr).toContain('1 problem in 1 plan file');
  });

  it('a bare status says which state folder it read and how to see every plan, instead of "1 plan(s) idle"', async () => {
    ws.plan('one', localPlan('one'));
    ws.plan('two', localPlan('two'));
    expect((await keyrot(['run', '--yes', 'one.yaml'], { cwd: ws.dir })).code).toBe(0);
    const bare = await keyrot(['status'], { cwd: ws.dir });
    expect(bare.stdout).toBe(`nothing in flight in ${path.join(ws.dir, '.keyrot')}\nevery plan's key and its age: \`keyrot status .\`\n`);
  });
});

describe('keyrot init for a new user (items 8, 10)', () => {
  const init = (args: string[], stdin: 'ignore' | 'pipe' = 'ignore', out?: string) =>
    spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" "$@"${out ? ` > ${out}` : ''}`, 'keyrot', ...args], { cwd: ws.dir, encoding: 'utf8', stdio: [stdin, 'pipe', 'pipe'], env: { ...testEnv(), NO_COLOR: '1' } });

  it('with no flags and no terminal names the flags it needs, not `unknown issuer ""`', () => {
    const result = init(['init']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/keyrot init needs --issuer \(aws-iam, generated, http[^)]*\) and --store \(one or more\) when there is no terminal to ask/);
    expect(result.stderr).not.toContain('unknown issuer');
  });

  it('writes a $schema path that resolves from where the plan is written, and its comments in one column', () => {
    mkdirSync(path.join(ws.dir, 'plans', 'team'), { recursive: true });
    expect(init(['init', '--issuer', 'aws-iam', '--user', 'svc', '--store', 'vault-kv2:secret/svc/aws', '--store', 'file:keys.json'], 'ignore', 'plans/team/svc.yaml').status).toBe(0);
    const plan = ws.read('plans/team/svc.yaml');
    const schema = /\$schema=(\S+)/.exec(plan)![1]!;
    expect(existsSync(path.resolve(ws.dir, 'plans', 'team', schema))).toBe(true);
    const columns = new Set(plan.split('\n').filter((l) => /^\s*[^\s#].*\s# /.test(l)).map((l) => l.indexOf(' # ') + 1));
    expect([...columns]).toEqual([30]);
  });
});

describe('at a terminal (item 10)', () => {
  it('the countdown is in whole seconds with its deadline in UTC, and the done line sits in the phase column', async () => {
    ws.plan('demo', localPlan('demo', { rehearse: true, drain: '3s', soak: '0s' }));
    const term = inPty('keyrot run --yes demo.yaml', { cwd: ws.dir });
    await term.waitFor(/overlap window: \d+s left \(until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)/);
    expect((await term.exited).code).toBe(0);
    const screen = term.screen();
    expect(screen).not.toMatch(/\d+ms left|[AP]M\)/);
    expect(screen).toMatch(/ {2}drain {7}overlap window/);
    expect(screen).toMatch(/ {2}done {8}✔ rotated key-\w+ -> key-\w+/);
  }, 30_000);
});

