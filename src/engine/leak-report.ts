// A secret scanner's report (gitleaks or trufflehog JSON) read as leak findings. Each finding keeps
// only what can name a key without being a secret: AWS access key ids as they are, and for any other
// value a SHA-256 fingerprint computed here, in memory. The raw values are dropped at once (and
// registered with the output filter, so not even a bug could print one).
import { KeyrotError } from '../errors.js';
import { fingerprint } from '../secrets/fingerprint.js';
import { rememberSecret } from '../secrets/redact.js';

export interface LeakFinding {
  /** Where the scanner saw it: file:line and rule, never the value. */
  where: string;
  keyIds: string[];
  fingerprints: string[];
}

export interface LeakReport {
  format: 'gitleaks' | 'trufflehog' | 'stdin';
  findings: LeakFinding[];
}

/** An AWS access key id (long-term AKIA, temporary ASIA): an identifier, not a secret. */
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;

type Json = Record<string, unknown>;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Split the values a scanner matched into key ids and fingerprints of everything else. */
function finding(where: string, values: (string | undefined)[]): LeakFinding {
  const keyIds = new Set<string>();
  const fingerprints = new Set<string>();
  for (const value of values) {
    if (value === undefined) continue;
    const ids = value.match(AWS_KEY_ID) ?? [];
    ids.forEach((id) => keyIds.add(id));
    if (ids.length === 1 && ids[0] === value) continue; // only an id: nothing secret in it
    rememberSecret(value);
    fingerprints.add(fingerprint(value));
  }
  return { where, keyIds: [...keyIds], fingerprints: [...fingerprints] };
}

function fromGitleaks(items: unknown[], file: string): LeakFinding[] {
  return items.map((raw, i) => {
    const f = (raw ?? {}) as Json;
    const at = text(f.File) ? `${text(f.File)}:${String(f.StartLine ?? '?')}` : `${file} finding ${i + 1}`;
    // Secret is the captured value; Match the whole matched text, which may hold an id beside it.
    return finding(`${at} (gitleaks ${text(f.RuleID) ?? 'rule'})`, [text(f.Secret), text(f.Match)]);
  });
}

function trufflehogPlace(f: Json): string | undefined {
  const data = ((f.SourceMetadata as Json | undefined)?.Data ?? {}) as Record<string, Json>;
  for (const source of Object.values(data)) {
    const file = text(source?.file) ?? text(source?.link);
    if (file) return `${file}:${String(source.line ?? '?')}`;
  }
  return undefined;
}

function fromTrufflehog(items: Json[], file: string): LeakFinding[] {
  return items.map((f, i) => {
    const at = trufflehogPlace(f) ?? `${file} finding ${i + 1}`;
    return finding(`${at} (trufflehog ${text(f.DetectorName) ?? 'detector'})`, [text(f.Raw), text(f.RawV2)]);
  });
}

/** Parse a report: gitleaks writes one JSON array; trufflehog `--json` writes one object per line. */
export function parseLeakReport(content: string, file: string): LeakReport {
  const bad = (reason: string) => new KeyrotError('leak-report-invalid', { file, reason });
  const trimmed = content.trim();
  if (trimmed.startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(trimmed);
    } catch (e) {
      throw bad(`not JSON (${(e as Error).message.split('\n')[0]})`);
    }
    if (!Array.isArray(items)) throw bad('expected a JSON array of findings');
    return { format: 'gitleaks', findings: fromGitleaks(items, file) };
  }
  const lines = trimmed.split('\n').filter((l) => l.trim() !== '');
  const items = lines.map((line, i) => {
    try {
      const value = JSON.parse(line) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value) && ('DetectorName' in value || 'SourceMetadata' in value)) return value as Json;
    } catch {
      // reported below, by line number only: the line may hold a secret
    }
    throw bad(`line ${i + 1} is not a trufflehog finding; expected gitleaks' JSON array or trufflehog's --json lines`);
  });
  return { format: 'trufflehog', findings: fromTrufflehog(items, file) };
}

/** The most `--secret-stdin` reads: a secret is far shorter; more is something else piped in by mistake. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** One secret pasted on stdin (`--secret-stdin`): the same as a one-finding report. */
export function leakFromSecret(secret: string): LeakReport {
  const value = secret.replace(/\r?\n$/, '');
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new KeyrotError('leak-report-invalid', { file: 'stdin', reason: `more than ${MAX_SECRET_BYTES / 1024} kB was piped in; a secret is far shorter` });
  if (value.trim() === '') throw new KeyrotError('leak-report-invalid', { file: 'stdin', reason: 'nothing was read' });
  return { format: 'stdin', findings: [finding('the secret on stdin', [value])] };
}
