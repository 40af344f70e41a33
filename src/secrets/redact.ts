// The output filter: every secret this process has seen is masked in everything it writes,
// so a bug elsewhere cannot print one (invariant 3).
import { fingerprint } from './fingerprint.js';
import { maskUserinfo } from './urls.js';

/** Secrets shorter than this are not masked: too many innocent words would be. */
const MIN_SECRET = 8;

// Every secret seen, indexed by its first MIN_SECRET characters (longest first), so masking a text
// costs one lookup per character however many secrets a fleet run has seen, not one scan per secret.
const byPrefix = new Map<string, string[]>();
/** The first two characters of every secret, as one number: most positions of a text are passed over
 *  without cutting a string out of it (a fleet run writes millions of characters; issue 27). A 32-bit
 *  integer, which V8 passes to Set.has as it is: a larger number (three characters) was a heap object
 *  made per character looked at, ~30 MB of garbage in a status over 10,000 plans. */
const heads = new Set<number>();
const headAt = (text: string, at: number) => (text.charCodeAt(at) << 16) | text.charCodeAt(at + 1);

/** Call as soon as a secret enters the process (created or read back). */
export function rememberSecret(secret: string): void {
  if (secret.length < MIN_SECRET) return;
  const prefix = secret.slice(0, MIN_SECRET);
  const same = byPrefix.get(prefix) ?? [];
  if (same.includes(secret)) return;
  byPrefix.set(prefix, [...same, secret].sort((a, b) => b.length - a.length));
  heads.add(headAt(secret, 0));
}

/** Where keyrot and the SDKs it loads take credentials from: their values are masked wherever they
 *  appear (a hook's output, a library's error), whether or not keyrot used them. */
export const CREDENTIAL_VARIABLES = [
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN',
  'VAULT_TOKEN', 'BAO_TOKEN',
  'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_PASSWORD',
] as const;

/** Remember the values of `names` (default: the credential variables) in `env` as secrets. */
export function rememberVariables(env: NodeJS.ProcessEnv, names: readonly string[] = CREDENTIAL_VARIABLES): void {
  for (const name of names) {
    const value = env[name];
    if (value) rememberSecret(value);
  }
}

/** The variables a provider or hook config names as holding a credential: fields ending in `Env`
 *  (signingKeyEnv, secretIdEnv, …) and the values of `headersFromEnv`. */
export function variablesNamedIn(config: unknown, found: string[] = []): string[] {
  // Walked in place, adding to one list: every plan loaded is walked (10,000 in a large folder).
  // An array is walked as an object: its keys are indices, none ends in `Env`.
  if (config && typeof config === 'object') {
    for (const key in config) {
      const value = (config as Record<string, unknown>)[key];
      if (key.endsWith('Env') && typeof value === 'string') found.push(value);
      else if (key === 'headersFromEnv' && value && typeof value === 'object') {
        for (const v of Object.values(value)) if (typeof v === 'string') found.push(v);
      } else variablesNamedIn(value, found);
    }
  }
  return found;
}

/** `text` with every secret seen so far, and the credentials of any URL (user:pass@), masked. */
export function redact(text: string): string {
  const out = maskUserinfo(text);
  if (byPrefix.size === 0) return out;
  let masked = '';
  let copied = 0;
  for (let at = 0; at <= out.length - MIN_SECRET; ) {
    const secret = heads.has(headAt(out, at)) ? byPrefix.get(out.slice(at, at + MIN_SECRET))?.find((s) => out.startsWith(s, at)) : undefined;
    if (!secret) {
      at++;
      continue;
    }
    masked += `${out.slice(copied, at)}[redacted ${fingerprint(secret)}]`;
    at += secret.length;
    copied = at;
  }
  return copied === 0 ? out : masked + out.slice(copied);
}

/** Route stdout and stderr through `redact`, whoever writes to them (ora, console, errors). */
export function installOutputFilter(): void {
  rememberVariables(process.env);
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === 'string' ? redact(chunk) : Buffer.isBuffer(chunk) ? redact(chunk.toString('utf8')) : chunk, ...rest)) as typeof stream.write;
  }
}
