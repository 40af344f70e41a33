// A command notification: a shell command line with the event in KEYROT_* variables. It gets a
// minimal environment (keyrot's own credentials stay with keyrot); its output is kept only to
// explain a failure, as a short redacted tail.
import { spawn } from 'node:child_process';
import { formatDuration } from '../shared/duration.js';
import { redact } from '../secrets/redact.js';
import type { Payload } from './notice.js';
import type { CommandEntry } from './schema.js';

export interface CommandOptions {
  cwd: string;
  /** keyrot's environment: the command gets PATH, HOME and the variables its `env:` lists from it. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

const TAIL_CHARS = 300;

export const commandLabel = (entry: CommandEntry): string =>
  `command "${entry.run.length > 40 ? `${entry.run.slice(0, 39)}…` : entry.run}"`;

export const eventEnv = (p: Payload): Record<string, string> => ({
  KEYROT_PLAN: p.plan,
  KEYROT_ROTATION_ID: p.rotationId,
  KEYROT_OUTCOME: p.outcome,
  KEYROT_PHASE: p.phase,
  KEYROT_OLD_KEY_ID: p.oldKeyId ?? '',
  KEYROT_NEW_KEY_ID: p.newKeyId ?? '',
  KEYROT_FINGERPRINT: p.fingerprint ?? '',
  KEYROT_MESSAGE: p.message ?? '',
  KEYROT_TIME: p.time,
});

/** Everything a command's environment holds: PATH, HOME, what the plan passes on, and the event. */
export function commandEnv(entry: CommandEntry, payload: Payload, env: NodeJS.ProcessEnv): Record<string, string> {
  const passed: Record<string, string> = { PATH: env.PATH || '/usr/local/bin:/usr/bin:/bin' };
  for (const name of ['HOME', ...(entry.env ?? [])]) {
    const value = env[name];
    if (value !== undefined) passed[name] = value;
  }
  return { ...passed, ...eventEnv(payload) };
}

const tailOf = (output: string): string => {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean).join(' | ');
  if (!lines) return '';
  return `; output: ${redact(lines.length > TAIL_CHARS ? `…${lines.slice(-TAIL_CHARS)}` : lines)}`;
};

export function runCommand(entry: CommandEntry, payload: Payload, options: CommandOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout kills what the shell started too (and frees the pipes).
    const child = spawn('/bin/sh', ['-c', entry.run], {
      cwd: options.cwd,
      env: commandEnv(entry, payload, options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4 * TAIL_CHARS));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let stopped: string | undefined;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const stop = (why: string) => {
      if (!exited) stopped ??= why;
      killGroup();
    };
    const timer = setTimeout(() => stop(`timed out after ${formatDuration(entry.timeout)}`), entry.timeout);
    const onAbort = () => stop('interrupted');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    child.on('error', (e) => settle(new Error(`cannot start /bin/sh: ${e.message}`)));
    child.on('exit', (code, signal) => (exited = { code, signal }));
    child.on('close', (code, signal) => {
      const end = exited ?? { code, signal };
      if (!stopped && end.code === 0) return settle();
      const why = stopped ?? (end.code !== null ? `exited with code ${end.code}` : `killed by ${end.signal}`);
      settle(new Error(`${why}${tailOf(output)}`));
    });
  });
}
