// Operability (issue 15): --version, shell completion, keyrot init, key ages and metrics files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, keyrot } from '../helpers/cli.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

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

  it('bash completion completes commands, flags, --output choices and plan files', () => {
    ws.write('payments.yaml', '');
    ws.write('notes.txt', '');
    mkdirSync(path.join(ws.dir, 'plans'));
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `source <("${process.execPath}" "${BIN}" completion bash); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _keyrot; echo "\${COMPREPLY[*]}"`, 'x', ...words], { cwd: ws.dir, encoding: 'utf8' }).trim();
    expect(complete('keyrot', 'st')).toBe('status');
    expect(complete('keyrot', 'run', '--d')).toBe('--due');
    expect(complete('keyrot', 'status', '--output', 'j')).toBe('json');
    expect(complete('keyrot', 'run', '').split(' ').sort()).toEqual(['payments.yaml', 'plans']);
    expect(complete('keyrot', 'completion', '')).toBe('bash zsh fish');
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
      return { code: 0, stdout: execFileSync(process.execPath, [BIN, ...args], { cwd: ws.dir, encoding: 'utf8', input: input ?? '', env: { ...process.env, NO_COLOR: '1' }, stdio: 'pipe' }) };
    } catch (e) {
      const failed = e as { status: number; stdout: string; stderr: string };
      return { code: failed.status, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const STORES = ['file:keys.json', 'vault-kv2:secret/payments/aws', 'azure-keyvault:https://payments-kv.vault.azure.net/payments-key', 'aws-secrets-manager:payments/aws'];

  it('keyrot init ... | keyrot validate - passes for every issuer/store combination, and with all stores at once', () => {
    for (const issuer of ['aws-iam', 'generated']) {
      for (const stores of [...STORES.map((s) => [s]), STORES]) {
        const plan = cli(['init', '--issuer', issuer, '--user', 'payments-service', ...stores.flatMap((s) => ['--store', s])]);
        expect(plan.code, `${issuer} ${stores.join(' ')}`).toBe(0);
        expect(plan.stdout).toMatch(/^# yaml-language-server: \$schema=/);
        const checked = cli(['validate', '-', '--json'], plan.stdout);
        expect(checked.code, `${issuer} ${stores.join(' ')}: ${checked.stdout}`).toBe(0);
        expect(JSON.parse(checked.stdout)).toMatchObject({ type: 'validate', plans: [{ file: '<stdin>', source: issuer, targets: stores.map((s) => s.split(':')[0]) }] });
      }
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

  it('a missing user, an unknown store or a store without a place is a usage error (exit 2)', () => {
    expect(cli(['init', '--issuer', 'aws-iam', '--store', 'file:k.json']).code).toBe(2);
    expect(cli(['init', '--issuer', 'generated', '--store', 'redis:k']).code).toBe(2);
    expect(cli(['init', '--issuer', 'generated', '--store', 'vault-kv2:secret']).code).toBe(2);
    expect(cli(['init', '--issuer', 'generated']).code).toBe(2);
  });

  it('an invalid plan on stdin is reported as <stdin>:line:col', () => {
    const out = cli(['validate', '-'], 'apiVersion: keyrot/v1\nname: x\n');
    expect(out.code).toBe(2);
    expect((out as { stderr?: string }).stderr).toContain('<stdin>:1:1');
  });
});
