// Plans never carry secrets. A value that looks like a literal credential is refused.

export interface CredentialFinding {
  path: (string | number)[];
  kind: string;
}

const PATTERNS: [string, RegExp][] = [
  ['an AWS secret access key', /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z0-9/+]{40}$/],
  ['a Vault token', /^(hvs|hvb|hvr)\.[A-Za-z0-9_-]{20,}$|^s\.[A-Za-z0-9]{24}$/],
  ['a GitHub token', /^(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}$/],
  ['a Slack token', /^xox[abpr]-[A-Za-z0-9-]{10,}$/],
  ['an API secret key', /^sk_(live|test)_[A-Za-z0-9]{16,}$/],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
];

// Field names that hold credentials; names ending in File/Env/Path/Url say where one is, which is fine.
const CREDENTIAL_FIELD = /(secret|token|password|passwd|credential|api[_-]?key|private[_-]?key)$/i;
const REFERENCE_FIELD = /(file|env|path|url|name|id)$/i;

function entropyBitsPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

function looksRandom(value: string): boolean {
  return value.length >= 16 && !/\s/.test(value) && !value.includes('{{') && entropyBitsPerChar(value) >= 3.5;
}

/** scheme://user:password@host: the password is a literal credential wherever the URL is. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]+@/i;

/** A webhook's own schema refuses credentials in its URL, with a hint of its own (notify[i].url). */
const isWebhookUrl = (path: (string | number)[]) => path.length === 3 && path[0] === 'notify' && path[2] === 'url';

function classify(key: string | number | undefined, value: string, path: (string | number)[]): string | undefined {
  for (const [kind, pattern] of PATTERNS) if (pattern.test(value)) return kind;
  if (URL_WITH_PASSWORD.test(value) && !isWebhookUrl(path)) return 'a password in a URL';
  const field = String(key ?? '');
  if (CREDENTIAL_FIELD.test(field) && !REFERENCE_FIELD.test(field) && looksRandom(value)) {
    return `a literal secret in a credential field`;
  }
  return undefined;
}

/** Every string in the plan that looks like a credential, with its path. */
export function findLiteralCredentials(value: unknown, path: (string | number)[] = []): CredentialFinding[] {
  if (typeof value === 'string') {
    const kind = classify(path[path.length - 1], value, path);
    return kind ? [{ path, kind }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => findLiteralCredentials(item, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => findLiteralCredentials(v, [...path, k]));
  }
  return [];
}
