// The output filter: every secret this process has seen is masked in everything it writes,
// so a bug elsewhere cannot print one (invariant 3).
import { fingerprint } from './fingerprint.js';
import { maskUserinfo } from './urls.js';

const seen = new Set<string>();

/** Call as soon as a secret enters the process (created or read back). */
export function rememberSecret(secret: string): void {
  if (secret.length >= 8) seen.add(secret);
}

/** `text` with every secret seen so far, and the credentials of any URL (user:pass@), masked. */
export function redact(text: string): string {
  let out = maskUserinfo(text);
  for (const secret of seen) {
    if (out.includes(secret)) out = out.split(secret).join(`[redacted ${fingerprint(secret)}]`);
  }
  return out;
}

/** Route stdout and stderr through `redact`, whoever writes to them (ora, console, errors). */
export function installOutputFilter(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === 'string' ? redact(chunk) : Buffer.isBuffer(chunk) ? redact(chunk.toString('utf8')) : chunk, ...rest)) as typeof stream.write;
  }
}
