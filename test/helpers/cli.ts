// Run the built keyrot binary as a user would: a child process, its output and its exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/keyrot.js');
/** The same CLI with a state-store decorator that kills it after a chosen save, or lists its saves (faults.mjs). */
export const FAULTS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'faults.mjs');
/** End-to-end tests run the built CLI: say how to build it rather than fail on a missing file. */
export function requireBuild(): void {
  if (!existsSync(path.join(path.dirname(BIN), '..', 'dist', 'cli', 'main.js'))) throw new Error('build first: `npm run build` (npm test does)');
}
/** The entry point for a run with these variables: faults.mjs when they ask to kill it or trace its saves. */
export const entryFor = (env: NodeJS.ProcessEnv = {}): string =>
  env.KEYROT_TEST_KILL_AFTER !== undefined || env.KEYROT_TEST_SAVES !== undefined ? FAULTS_BIN : BIN;

/** The test runner's environment without what npm adds to it: run by `npx vitest`, keyrot would
 *  take itself to be run through npx and write its hints `npx keyrot …`. */
export const testEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'npm_lifecycle_event' && k !== 'npm_command'));

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
  const child = spawn(process.execPath, [entryFor(opts.env), ...args], {
    cwd: opts.cwd,
    env: { ...testEnv(), NO_COLOR: '1', ...opts.env },
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

/**
 * The save points of a run traced with KEYROT_TEST_SAVES=file (faults.mjs), each as `phase:stage#n`:
 * the n-th save of a record in that state. Killing right after each one covers every point a crash
 * can fall between in production.
 */
export function savePointsIn(file: string): string[] {
  const seen = new Map<string, number>();
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((at) => {
    const n = (seen.get(at) ?? 0) + 1;
    seen.set(at, n);
    return `${at}#${n}`;
  });
}
