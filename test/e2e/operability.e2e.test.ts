// Operability (issue 15): --version, shell completion, keyrot init, key ages and metrics files.
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, keyrot, testEnv } from '../helpers/cli.js';
import { inPty } from '../helpers/pty.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { installPrometheus } from '../peers/prometheus.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

describe('--version and completion', () => {
  it('--version is the version in package.json', async () => {
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(BIN), '..', 'package.json'), 'utf8')) as { version: string };
    const out = await keyrot(['--version'], { cwd: ws.dir });
    expect(out.stdout.trim()).toBe(pkg.version);
  });

  it('--help gives each exit code the meaning the README\'s table gives it (disk full is 4, an unusable state folder 2)', async () => {
    const words = (text: string) => text.replace(/`/g, '').replace(/\s+/g, ' ');
    const help = words((await keyrot(['--help'], { cwd: ws.dir })).stdout);
    const readme = readFileSync(path.join(path.dirname(BIN), '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('With several plans'));
    const rows = [...table.matchAll(/^\| (\d+) \| (.+) \|$/gm)];
    expect(rows.map((r) => r[1])).toEqual(['0', '1', '2', '3', '4', '75', '130']);
    for (const [, code, meaning] of rows) expect(help, `exit ${code}`).toContain(` ${code} ${words(meaning!)}`);
  });

  it('bash completion completes commands, flags, --output choices and plan files', () => {
    ws.write('payments.yaml', '');
    ws.write('notes.txt', '');
    mkdirSync(path.join(ws.dir, 'plans'));
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `source <("${process.execPath}" "${BIN}" completion bash); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _keyrot; echo "\${COMPREPLY[*]}"`, 'x', ...words], { cwd: ws.dir, encoding: 'utf8' }).trim();
    expect(complete('keyrot', 'val')).toBe('validate');
    expect(complete('keyrot', 'run', '--d')).toBe('--due');
    expect(complete('keyrot', 'status', '--output', 'j')).toBe('json');
    expect(complete('keyrot', 'run', '').split(' ').sort()).toEqual(['payments.yaml', 'plans']);
    expect(complete('keyrot', 'completion', '')).toBe('bash zsh fish');
    expect(complete('keyrot', 'state', '')).toBe('migrate'); // a command's own commands
    expect(complete('keyrot', 'state', 'migrate', '--f')).toBe('--from');
  });

  it('zsh and fish scripts name every command', async () => {
    for (const shell of ['zsh', 'fish']) {
      const out = await keyrot(['completion', shell], { cwd: ws.dir });
      expect(out.code).toBe(0);
      for (const command of ['run', 'revoke', 'status', 'validate', 'completion']) expect(out.stdout).toContain(command);
    }
    expect((await keyrot(['completion', 'tcsh'], { cwd: ws.dir })).code).toBe(2);
  });
});

describe('keyrot init', () => {
  const cli = (args: string[], input?: string) => {
    try {
      return { code: 0, stdout: execFileSync(process.execPath, [BIN, ...args], { cwd: ws.dir, encoding: 'utf8', input: input ?? '', env: { ...testEnv(), NO_COLOR: '1' }, stdio: 'pipe' }) };
    } catch (e) {
      const failed = e as { status: number; stdout: string; stderr: string };
      return { code: failed.status, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const STORES = [
    'file:keys.json', 'vault-kv2:secret/payments/aws', 'azure-keyvault:https://payments-kv.vault.azure.net/payments-key', 'aws-secrets-manager:payments/aws',
    'aws-ssm:/payments/aws', 'github-actions:acme/payments/production/PAYMENTS_KEY', 'github-actions:org:acme/PAYMENTS_ORG_KEY',
    'gitlab-ci:acme/payments/PAYMENTS_KEY@production', 'gitlab-ci:group:acme/PAYMENTS_GROUP_KEY',
  ];

  it('keyrot init ... | keyrot validate - passes for every issuer with every store at once, and for each store alone', () => {
    // Every issuer with every store at once covers each pairing; each store alone covers the one-target form.
    const combinations = [
      ...['aws-iam', 'generated', 'http', 'postgresql', 'mysql', 'redis'].map((issuer) => ({ issuer, stores: STORES })),
      ...STORES.map((store) => ({ issuer: 'generated', stores: [store] })),
    ];
    for (const { issuer, stores } of combinations) {
      const user = issuer === 'aws-iam' ? 'payments-service' : 'payments';
      const plan = cli(['init', '--issuer', issuer, '--user', user, '--preset', 'vault-approle', ...stores.flatMap((s) => ['--store', s])]);
      expect(plan.code, `${issuer} ${stores.join(' ')}`).toBe(0);
      expect(plan.stdout).toMatch(/^# yaml-language-server: \$schema=/);
      const checked = cli(['validate', '-', '--json'], plan.stdout);
      expect(checked.code, `${issuer} ${stores.join(' ')}: ${checked.stdout}`).toBe(0);
      expect(JSON.parse(checked.stdout)).toMatchObject({ type: 'validate', plans: [{ file: '<stdin>', source: issuer, targets: stores.map((s) => s.split(':')[0]) }] });
    }
  });

  it('the plan names the permissions it needs, and the schema it follows resolves from where it is written', () => {
    const plan = cli(['init', '--issuer', 'aws-iam', '--user', 'payments-service', '--store', 'vault-kv2:secret/payments/aws']).stdout;
    expect(plan).toContain('iam:CreateAccessKey');
    expect(plan).toContain('path "secret/destroy/payments/aws"');
    const schema = /\$schema=(\S+)/.exec(plan)![1]!;
    expect(JSON.parse(readFileSync(path.resolve(ws.dir, schema), 'utf8'))).toHaveProperty('$schema');
    ws.write('payments.yaml', plan);
    expect(cli(['validate', 'payments.yaml']).code).toBe(0);
  });

  it('at a terminal it asks for what the flags leave out (on stderr: `keyrot init > plan.yaml` still asks)', async () => {
    const term = inPty('keyrot init > asked.yaml', { cwd: ws.dir });
    await term.waitFor(/issuer \(aws-iam, generated, http, postgresql, mysql, redis\) \[aws-iam\]: /);
    term.type('\r');
    await term.waitFor(/IAM user whose keys are rotated: /);
    term.type('billing-service\r');
    await term.waitFor(/stores, separated by spaces/);
    term.type('vault-kv2:secret/billing/aws file:billing.json\r');
    expect((await term.exited).code).toBe(0);
    expect(ws.read('asked.yaml')).toMatch(/name: billing-service\n[\s\S]*type: vault-kv2\n[\s\S]*type: file\n/);
    expect(cli(['validate', 'asked.yaml']).code).toBe(0);
  });

  it('a wrong answer is said and asked again, the other answers kept as defaults (Enter keeps them)', async () => {
    const term = inPty('keyrot init > asked.yaml', { cwd: ws.dir });
    await term.waitFor(/\[aws-iam\]: /);
    term.type('postgres\r');
    await term.waitFor(/stores, separated by spaces/);
    term.type('file:orders.json\r');
    await term.waitFor(/unknown issuer "postgres": one of aws-iam, generated, http, postgresql, mysql, redis; again, please/);
    await term.waitFor(/\[postgres\]: /);
    term.type('postgresql\r');
    await term.waitFor(/name of the role pair \(NAME_blue, NAME_green\): /);
    term.type('orders\r');
    await term.waitFor(/\[file:orders\.json\]: /);
    term.type('\r');
    expect((await term.exited).code).toBe(0);
    expect(ws.read('asked.yaml')).toMatch(/type: postgresql\n[\s\S]*type: file\n/);
    expect(cli(['validate', 'asked.yaml']).code).toBe(0);
  });

  it('Ctrl-C at a question stops it with exit 130 and Ctrl-D with exit 2, nothing written, not as a bug', async () => {
    const interrupted = inPty('keyrot init > asked.yaml', { cwd: ws.dir });
    await interrupted.waitFor(/issuer \(aws-iam, generated, http, postgresql, mysql, redis\) \[aws-iam\]: /);
    interrupted.type('\x03');
    expect((await interrupted.exited).code).toBe(130);
    expect(interrupted.screen()).toContain('keyrot init stopped at a question (Ctrl-C); no plan was written');
    const ended = inPty('keyrot init > asked.yaml', { cwd: ws.dir });
    await ended.waitFor(/\[aws-iam\]: /);
    ended.type('generated\r');
    await ended.waitFor(/stores, separated by spaces/);
    ended.type('\x04');
    expect((await ended.exited).code).toBe(2);
    expect(ended.screen()).toContain('the input ended (Ctrl-D); no plan was written');
    for (const term of [interrupted, ended]) expect(term.screen()).not.toMatch(/internal error|AbortError/);
    expect(ws.read('asked.yaml')).toBe('');
  });

  it('--help names every kind of store --store takes', () => {
    const help = cli(['init', '--help']).stdout.replace(/\s+/g, ' ');
    for (const form of ['file:PATH', 'vault-kv2:MOUNT/PATH', 'azure-keyvault:https://', 'aws-secrets-manager:', 'aws-ssm:/PARAMETER/NAME', 'github-actions:OWNER/REPO', 'gitlab-ci:GROUP/PROJECT/KEY']) {
      expect(help).toContain(form);
    }
    expect(help).toContain('AWS region for aws-iam, aws-secrets-manager and aws-ssm');
  });

  it('a missing user, an unknown store or a store without a place is a usage error (exit 2)', () => {
    expect(cli(['init', '--issuer', 'aws-iam', '--store', 'file:k.json']).code).toBe(2);
    expect(cli(['init', '--issuer', 'generated', '--store', 'redis:k']).code).toBe(2);
    expect(cli(['init', '--issuer', 'generated', '--store', 'vault-kv2:secret']).code).toBe(2);
    expect(cli(['init', '--issuer', 'generated', '--store', 'gitlab-ci:API_KEY']).code).toBe(2);
    expect(cli(['init', '--issuer', 'generated']).code).toBe(2);
    const noPreset = cli(['init', '--issuer', 'http', '--store', 'file:k.json']);
    expect(noPreset.code).toBe(2);
    expect(noPreset.stderr).toContain('--issuer http needs --preset, one of: vault-approle, datadog, twilio, sendgrid, cloudflare, openai');
    const noLogins = cli(['init', '--issuer', 'postgresql', '--store', 'file:k.json']);
    expect(noLogins.code).toBe(2);
    expect(noLogins.stderr).toContain('--issuer postgresql needs --user: the name of the pair of logins (NAME_blue, NAME_green)');
  });

  it('keyrot init --issuer http --preset NAME | keyrot validate - passes for every preset, with its admin permissions as comments', () => {
    const needs = { datadog: 'api_keys_read, api_keys_write, api_keys_delete', twilio: 'Main API key', sendgrid: 'api_keys.create, api_keys.read, api_keys.delete', cloudflare: '"API Tokens Write"', openai: 'Admin API key' };
    for (const [preset, permission] of Object.entries(needs)) {
      const plan = cli(['init', '--issuer', 'http', '--preset', preset, '--store', 'file:k.json']);
      expect(plan.code, preset).toBe(0);
      expect(plan.stdout).toContain(permission);
      const checked = cli(['validate', '-', '--json'], plan.stdout);
      expect(checked.code, `${preset}: ${checked.stdout}`).toBe(0);
    }
  });

  it('a database plan publishes {{username}} and names the setup and the privileges of keyrot\'s own login', () => {
    const pg = cli(['init', '--issuer', 'postgresql', '--user', 'orders', '--store', 'vault-kv2:secret/orders/db']).stdout;
    expect(pg).toContain('roles: [orders_blue, orders_green]');
    expect(pg).toContain('data: { username: "{{username}}", password: "{{secret}}" }');
    expect(pg).toContain('CREATE ROLE keyrot LOGIN CREATEROLE; GRANT pg_signal_backend TO keyrot');
    expect(pg).toMatch(/lastUsed:\n {2}quietFor: 5m/);
    expect(cli(['init', '--issuer', 'mysql', '--user', 'orders', '--store', 'file:k.json']).stdout).toContain('GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.*');
    expect(cli(['init', '--issuer', 'redis', '--user', 'cache', '--store', 'file:k.json']).stdout).toContain('-@all +acl|getuser +acl|setuser +acl|save +client|list +time +client|kill');
  });

  it('an invalid plan on stdin is reported as <stdin>:line:col', () => {
    const out = cli(['validate', '-'], 'apiVersion: keyrot/v1\nname: x\n');
    expect(out.code).toBe(2);
    expect((out as { stderr?: string }).stderr).toContain('<stdin>:3:1  source  `source` is missing'); // where it goes: after the last field
  });
});

/** promtool (Debian's prometheus package, installed by scripts/test-peers/prometheus.sh) on a metrics file. */
async function promtoolCheck(file: string): Promise<{ code: number; output: string }> {
  const promtool = path.join(path.dirname(await installPrometheus()), 'promtool');
  try {
    return { code: 0, output: execFileSync(promtool, ['check', 'metrics'], { input: readFileSync(file), encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const failed = e as { status: number; stdout: string; stderr: string };
    return { code: failed.status, output: `${failed.stdout}${failed.stderr}` };
  }
}

/** name{labels} value lines of a metrics file, by metric name. */
const samples = (text: string, name: string) =>
  text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).map((l) => ({ labels: l.slice(name.length, l.lastIndexOf(' ')), value: Number(l.slice(l.lastIndexOf(' ') + 1)) }));

describe('key ages in status, and metrics files', () => {
  const plans = () => {
    mkdirSync(path.join(ws.dir, 'rotation-plans'));
    for (const name of ['billing', 'search']) ws.write(`rotation-plans/${name}.yaml`, JSON.stringify(localPlan(name, { schedule: { maxAge: '30d' }, publish: [{ type: 'file', path: `${name}-keys.json` }] })));
    // Rotated every second: its key is overdue a second after it is issued.
    ws.write('rotation-plans/hot.yaml', JSON.stringify(localPlan('hot', { schedule: { maxAge: '1s' }, publish: [{ type: 'file', path: 'hot-keys.json' }] })));
  };

  it('keyrot status --metrics-file m.prom rotation-plans/ writes a file promtool accepts, with one key-age sample per plan', async () => {
    plans();
    expect((await keyrot(['run', '--yes', 'rotation-plans/'], { cwd: ws.dir })).code).toBe(0); // first keys
    await new Promise((r) => setTimeout(r, 1_100));
    const status = await keyrot(['status', '--metrics-file', 'm.prom', 'rotation-plans/'], { cwd: ws.dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/hot .*OVERDUE/);
    expect(status.stdout).toMatch(/billing .*old \(maxAge 30d, due in/);

    const text = ws.read('m.prom');
    const check = await promtoolCheck(path.join(ws.dir, 'm.prom'));
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
    const ages = samples(text, 'keyrot_key_age_seconds');
    expect(ages.map((a) => a.labels).sort()).toEqual(['{plan="billing"}', '{plan="hot"}', '{plan="search"}']);
    expect(samples(text, 'keyrot_key_overdue')).toContainEqual({ labels: '{plan="hot"}', value: 1 });
    expect(samples(text, 'keyrot_key_max_age_seconds')).toContainEqual({ labels: '{plan="billing"}', value: 30 * 86400 });
    expect(text).not.toMatch(/key-[0-9a-f]{12}/); // no key id: a series per key would churn
    expect(statSync(path.join(ws.dir, 'm.prom')).mode & 0o777).toBe(0o644);
    expect(ws.exists('m.prom.tmp')).toBe(false);
  });

  it('keyrot run --metrics-file counts runs by outcome and shows the rotation in flight and its phase', async () => {
    plans();
    await keyrot(['run', '--yes', 'rotation-plans/'], { cwd: ws.dir }); // first keys: done
    const waiting = await keyrot(['run', '--no-wait', '--metrics-file', 'm.prom', 'rotation-plans/billing.yaml'], { cwd: ws.dir });
    expect(waiting.code).toBe(75); // in the 15m drain
    const text = ws.read('m.prom');
    expect((await promtoolCheck(path.join(ws.dir, 'm.prom'))).code).toBe(0);
    expect(samples(text, 'keyrot_runs_total')).toEqual([{ labels: '{plan="billing",outcome="waiting"}', value: 1 }]);
    expect(samples(text, 'keyrot_rotation_in_flight')).toEqual([{ labels: '{plan="billing"}', value: 1 }]);
    expect(samples(text, 'keyrot_rotation_phase')).toContainEqual({ labels: '{plan="billing",phase="drain"}', value: 1 });
    await keyrot(['run', '--no-wait', '--metrics-file', 'm.prom', 'rotation-plans/billing.yaml'], { cwd: ws.dir });
    expect(samples(ws.read('m.prom'), 'keyrot_runs_total')).toEqual([{ labels: '{plan="billing",outcome="waiting"}', value: 2 }]);
  });

  // Issue 25, defect 9: a link at the metrics path made keyrot overwrite the file it pointed to, 0644.
  it('a symlink at the metrics path is refused, naming it: the file it points to keeps its content and mode 0600', async () => {
    plans();
    const elsewhere = ws.write('elsewhere.json', '{"private": true}\n');
    chmodSync(elsewhere, 0o600);
    symlinkSync(elsewhere, path.join(ws.dir, 'm.prom'));
    const refused = await keyrot(['status', '--metrics-file', 'm.prom', 'rotation-plans/'], { cwd: ws.dir });
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toContain('could not write the metrics file m.prom: m.prom is a symbolic link, not a regular file');
    expect(ws.read('elsewhere.json')).toBe('{"private": true}\n');
    expect(statSync(elsewhere).mode & 0o777).toBe(0o600);
    expect(lstatSync(path.join(ws.dir, 'm.prom')).isSymbolicLink()).toBe(true);
  });

  it('a metrics file keyrot cannot write is exit 4 with a hint; --metrics-file without plans is a usage error', async () => {
    plans();
    const denied = await keyrot(['status', '--metrics-file', 'no/such/folder/m.prom', 'rotation-plans/'], { cwd: ws.dir });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain('could not write the metrics file');
    expect((await keyrot(['status', '--metrics-file', 'm.prom'], { cwd: ws.dir })).code).toBe(2);
  });
});

describe('the Prometheus alert rules example', () => {
  it('examples/prometheus/alerts.yaml passes promtool check rules and its unit tests (alerts.test.yaml)', async () => {
    const promtool = path.join(path.dirname(await installPrometheus()), 'promtool');
    const folder = path.join(path.dirname(BIN), '..', 'examples', 'prometheus');
    execFileSync(promtool, ['check', 'rules', 'alerts.yaml'], { cwd: folder, stdio: 'pipe' });
    expect(execFileSync(promtool, ['test', 'rules', 'alerts.test.yaml'], { cwd: folder, encoding: 'utf8', stdio: 'pipe' })).toContain('SUCCESS');
  });
});

describe('the GitHub Actions example', () => {
  it('every keyrot command in examples/github-actions/keyrot-rotate.yml runs (with local state standing in for Vault), and 75 is not a failure', async () => {
    const workflow = readFileSync(path.join(path.dirname(BIN), '..', 'examples', 'github-actions', 'keyrot-rotate.yml'), 'utf8');
    mkdirSync(path.join(ws.dir, 'rotation-plans'));
    ws.write('rotation-plans/api.yaml', JSON.stringify(localPlan('api')));
    // The folder standing in for Vault exists before the job, as the Vault mount does (status only reads it).
    mkdirSync(path.join(ws.dir, 'state'));
    const invocations = workflow.replace(/\\\n\s*/g, ' ').split('\n').flatMap((line) => {
      const m = /node bin\/keyrot\.js (.*?)(?: \|\| true)?$/.exec(line);
      return m ? [m[1]!.replace('vault://secret/keyrot-state', 'state').split(/\s+/).filter(Boolean)] : [];
    });
    expect(invocations.map((a) => a[0])).toEqual(['doctor', 'run', 'status']);
    for (const args of invocations) {
      const out = await keyrot(args, { cwd: ws.dir });
      expect([0, 75], `keyrot ${args.join(' ')}: ${out.stderr}`).toContain(out.code);
    }
    expect(workflow).toContain('if [ "$code" -eq 75 ]; then');
  });
});
