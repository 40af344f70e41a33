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
