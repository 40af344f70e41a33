// Run the built keyrot in a real pseudo-terminal, as an operator at a terminal does: util-linux
// `script` gives it a pty, keystrokes are written to that pty (so Ctrl-C is the byte 0x03 that the
// terminal's line discipline turns into SIGINT, or not, as it would for a person), and what the
// person would see is read back.
import { spawn } from 'node:child_process';
import { BIN, testEnv } from './cli.js';

export interface PtySession {
  /** Everything the terminal showed so far (stdout and stderr interleaved, escapes left in). */
  screen(): string;
  /** Type into the terminal: '\x03' is Ctrl-C, '\r' is Enter. */
  type(keys: string): void;
  /** Resolve once the screen matches, or reject after `timeoutMs`, naming what was last shown. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The exit code of the command run in the terminal, and when it came. */
  exited: Promise<{ code: number | null; at: number }>;
  kill(): void;
}

const shellWord = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/**
 * `command` is a shell line run inside the terminal, where `keyrot` is the built binary, e.g.
 * `keyrot run plan.yaml | cat` for a pipe on stdout with a terminal on stdin.
 */
export function inPty(command: string, opts: { cwd: string; env?: NodeJS.ProcessEnv }): PtySession {
  const keyrot = `${shellWord(process.execPath)} ${shellWord(BIN)}`;
  // A size, as a real terminal has: with zero columns keyrot would (rightly) fall back to plain output.
  const line = `stty cols 120 rows 40; keyrot() { ${keyrot} "$@"; }; ${command}`;
  const child = spawn('script', ['-qfec', `bash -c ${shellWord(line)}`, '/dev/null'], {
    cwd: opts.cwd,
    env: { ...testEnv(), NO_COLOR: '1', TERM: 'xterm', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let shown = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    shown += d.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));
  return {
    screen: () => shown,
    type: (keys) => void child.stdin.write(keys),
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(shown)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`terminal never showed ${pattern}; last shown:\n${shown.slice(-800)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}
