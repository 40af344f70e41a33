// Run the built keyrot binary as a user would: a child process, its output and its exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/keyrot.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Piped to stdin. keyrot then runs in a session of its own, with no controlling terminal (as under
   * cron), so that a question it would ask on /dev/tty never reaches the terminal the tests run in.
   */
  input?: string;
}

export function startKeyrot(args: string[], opts: CliOptions): { child: ChildProcess; done: Promise<CliResult> } {
  const piped = opts.input !== undefined;
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: [piped ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: piped,
  });
  if (piped) child.stdin!.end(opts.input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export const keyrot = (args: string[], opts: CliOptions): Promise<CliResult> => startKeyrot(args, opts).done;
