// What the bench scripts share for running things: a child process that does not block this
// process's event loop (a counting proxy or a peer may live in it), and the median of samples.
import { spawn } from 'node:child_process';

/** Run `cmd`, feeding `input` on stdin; resolves { status, stderr } (its first 4000 characters). */
export function exec(cmd, args, options, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { if (stderr.length < 4000) stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
    child.stdin.end(input ?? '');
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
