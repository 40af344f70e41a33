// What the bench scripts share for running things: a child process that does not block this
// process's event loop (a counting proxy or a peer may live in it), the median of samples, and the CPU
// a peer (moto, OpenBao) has used on the same cores.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** CPU time (user + system, ms) process `pid` has used so far, from /proc/PID/stat (Linux); undefined elsewhere or once it is gone. */
export function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}
