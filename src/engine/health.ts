// One health probe during the soak: an HTTP GET that must answer 2xx, or a command that must exit 0.
import { spawn } from 'node:child_process';
import { redact } from '../secrets/redact.js';
import { originOnly } from '../secrets/urls.js';
import type { HealthCheck } from '../plan/health-schema.js';

export interface Health {
  healthy: boolean;
  detail: string;
}

async function probeHttp(url: string, timeout: number): Promise<Health> {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(timeout), redirect: 'follow' });
    await answer.body?.cancel();
    return { healthy: answer.ok, detail: `GET ${url} answered ${answer.status}` };
  } catch (e) {
    // fetch's own message may quote the URL: only its origin goes on.
    const reason = (e as Error).name === 'TimeoutError' ? `no answer within ${timeout} ms` : originOnly((e as Error & { cause?: Error }).cause?.message ?? (e as Error).message);
    return { healthy: false, detail: `GET ${url} failed: ${reason}` };
  }
}

function probeCommand(run: string, timeout: number, cwd: string): Promise<Health> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', run], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-400));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => resolve({ healthy: false, detail: `\`${run}\` could not start: ${e.message}` }));
    child.on('close', (code, signal) => {
      const tail = redact(output.trim().split('\n').slice(-2).join(' | '));
      const how = signal ? `was stopped (${signal}, timeout ${timeout} ms)` : `exited ${code}`;
      resolve({ healthy: code === 0, detail: `\`${run}\` ${how}${tail ? `: ${tail}` : ''}` });
    });
  });
}

export function probe(check: HealthCheck, planDir: string): Promise<Health> {
  return check.type === 'http' ? probeHttp(check.url, check.timeout) : probeCommand(check.run, check.timeout, planDir);
}
