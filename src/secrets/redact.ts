// The output filter: every secret this process has seen is masked in everything it writes,
// so a bug elsewhere cannot print one (invariant 3).
import { fingerprint } from './fingerprint.js';
import { maskUserinfo } from './urls.js';

const seen = new Set<string>();

/** Call as soon as a secret enters the process (created or read back). */
export function rememberSecret(secret: string): void {
  if (secret.length >= 8) seen.add(secret);
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
export function variablesNamedIn(config: unknown): string[] {
  if (Array.isArray(config)) return config.flatMap(variablesNamedIn);
  if (!config || typeof config !== 'object') return [];
  return Object.entries(config).flatMap(([key, value]) => {
    if (key.endsWith('Env') && typeof value === 'string') return [value];
    if (key === 'headersFromEnv' && value && typeof value === 'object') return Object.values(value).filter((v): v is string => typeof v === 'string');
    return variablesNamedIn(value);
  });
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
  rememberVariables(process.env);
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === 'string' ? redact(chunk) : Buffer.isBuffer(chunk) ? redact(chunk.toString('utf8')) : chunk, ...rest)) as typeof stream.write;
  }
}
