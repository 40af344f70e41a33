// A secret scanner's report (gitleaks or trufflehog JSON) read as leak findings. Each finding keeps
// only what can name a key without being a secret: AWS access key ids as they are, and for any other
// value a SHA-256 fingerprint computed here, in memory. The raw values are dropped at once (and
// registered with the output filter, so not even a bug could print one). A key seen in several
// places is one finding with every place it was seen at.
import { KeyrotError } from '../errors.js';
import { fingerprint } from '../secrets/fingerprint.js';
import { rememberSecret } from '../secrets/redact.js';
import { printable } from '../shared/printable.js';
import { jsonErrorAt } from '../shared/json-position.js';

export interface LeakFinding {
  /** Every place the scanner saw it: file:line and rule, never the value. */
  locations: string[];
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
/** A field of the report, written by the scanner from what it scanned (a file name may hold anything). */
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const shown = (v: unknown, max: number): string | undefined => {
  const t = text(v);
  return t === undefined ? undefined : printable(t, max);
};
const lineOf = (v: unknown): string => (typeof v === 'number' && Number.isInteger(v) ? String(v) : '?');

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
  return { locations: [where], keyIds: [...keyIds], fingerprints: [...fingerprints] };
}

/** Findings that name the same key (an id or a fingerprint in common) become one, with every location. */
export function mergeFindings(findings: LeakFinding[]): LeakFinding[] {
  const merged: LeakFinding[] = [];
  for (const f of findings) {
    const same = merged.find((m) => f.keyIds.some((id) => m.keyIds.includes(id)) || f.fingerprints.some((fp) => m.fingerprints.includes(fp)));
    if (!same) {
      merged.push({ locations: [...f.locations], keyIds: [...f.keyIds], fingerprints: [...f.fingerprints] });
      continue;
    }
    const add = <T>(to: T[], from: T[]) => from.forEach((x) => !to.includes(x) && to.push(x));
    add(same.locations, f.locations);
    add(same.keyIds, f.keyIds);
    add(same.fingerprints, f.fingerprints);
  }
  return merged;
}

function fromGitleaks(items: unknown[], file: string): LeakFinding[] {
  return items.map((raw, i) => {
    const f = (raw ?? {}) as Json;
    const at = shown(f.File, 300) ? `${shown(f.File, 300)}:${lineOf(f.StartLine)}` : `${file} finding ${i + 1}`;
    // Secret is the captured value; Match the whole matched text, which may hold an id beside it.
    return finding(`${at} (gitleaks ${shown(f.RuleID, 80) ?? 'rule'})`, [text(f.Secret), text(f.Match)]);
  });
}

function trufflehogPlace(f: Json): string | undefined {
  const data = ((f.SourceMetadata as Json | undefined)?.Data ?? {}) as Record<string, Json>;
  for (const source of Object.values(data)) {
    const file = shown(source?.file, 300) ?? shown(source?.link, 300);
    if (file) return `${file}:${lineOf(source.line)}`;
  }
  return undefined;
}

function fromTrufflehog(items: Json[], file: string): LeakFinding[] {
  return items.map((f, i) => {
    const at = trufflehogPlace(f) ?? `${file} finding ${i + 1}`;
    return finding(`${at} (trufflehog ${shown(f.DetectorName, 80) ?? 'detector'})`, [text(f.Raw), text(f.RawV2)]);
  });
}

/** Parse a report: gitleaks writes one JSON array; trufflehog `--json` writes one object per line. */
export function parseLeakReport(content: string, file: string): LeakReport {
  const bad = (reason: string) => new KeyrotError('leak-report-invalid', { file, reason });
  const start = content.search(/\S/);
  if (start < 0) throw bad('it is empty: a scanner that found nothing writes `[]`');
  if (content[start] === '[') {
    let items: unknown;
    try {
      items = JSON.parse(content);
    } catch {
      // Never the parser's own message: it quotes the text around the error, which may be a secret.
      const at = jsonErrorAt(content);
      throw bad(`not valid JSON at line ${at.line}, column ${at.column}`);
    }
    if (!Array.isArray(items)) throw bad('expected a JSON array of findings');
    return { format: 'gitleaks', findings: mergeFindings(fromGitleaks(items, file)) };
  }
  const lines = content.split('\n');
  const items = lines.flatMap((line, i) => {
    if (line.trim() === '') return [];
    try {
      const value = JSON.parse(line) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value) && ('DetectorName' in value || 'SourceMetadata' in value)) return [value as Json];
    } catch {
      // reported below, by line number only: the line may hold a secret
    }
    throw bad(`line ${i + 1} is not a trufflehog finding; expected gitleaks' JSON array or trufflehog's --json lines`);
  });
  return { format: 'trufflehog', findings: mergeFindings(fromTrufflehog(items, file)) };
}

/** The most `--secret-stdin` reads: a secret is far shorter; more is something else piped in by mistake. */
export const MAX_SECRET_BYTES = 64 * 1024;
/** The most `--from-report` reads: a scanner's report of a very large repository fits well within it. */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** One secret pasted on stdin (`--secret-stdin`): the same as a one-finding report. */
export function leakFromSecret(secret: string): LeakReport {
  const value = secret.replace(/\r?\n$/, '');
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new KeyrotError('leak-report-invalid', { file: 'stdin', reason: `more than ${MAX_SECRET_BYTES / 1024} kB was piped in; a secret is far shorter` });
  if (value.trim() === '') throw new KeyrotError('leak-report-invalid', { file: 'stdin', reason: 'nothing was read' });
  return { format: 'stdin', findings: [finding('the secret on stdin', [value])] };
}
