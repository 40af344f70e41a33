// A schema problem in a plan, said in the user's words: what is wrong with which field, and the fix
// (`bytes: "32"` -> write it without quotes; `drain: 90` -> a duration needs its unit; a missing
// `publish` -> an example to add; `drian` -> did you mean `drain`?), never the schema library's text.
// The plan's JSON Schema says what each field is (its type, whether it is a duration, its siblings).
import type { z } from 'zod';
import { DURATION_PATTERN } from '../shared/duration.js';

type Json = Record<string, unknown>;
type Path = (string | number)[];

/** Every branch a JSON Schema node may take ($ref, oneOf, anyOf, allOf resolved). */
function branches(node: unknown, root: Json): Json[] {
  if (!node || typeof node !== 'object') return [];
  const n = node as Json;
  if (typeof n.$ref === 'string') return branches(n.$ref.replace(/^#\//, '').split('/').reduce<unknown>((at, k) => (at as Json | undefined)?.[k], root), root);
  const alternatives = [n.oneOf, n.anyOf, n.allOf].filter(Array.isArray).flat() as unknown[];
  return alternatives.length > 0 ? alternatives.flatMap((a) => branches(a, root)) : [n];
}

/** The schema nodes at `path`, following the plan's own `type` fields through the unions. */
function schemaAt(root: Json, path: Path, data: unknown): Json[] {
  let nodes = branches(root, root);
  let value = data;
  for (const seg of path) {
    const typed = value && typeof value === 'object' && !Array.isArray(value) ? (value as Json).type : undefined;
    const matching = nodes.filter((n) => typed === undefined || ((n.properties as Json | undefined)?.type as Json | undefined)?.const === undefined || ((n.properties as Json).type as Json).const === typed);
    nodes = matching.flatMap((n) => branches(typeof seg === 'number' ? n.items : (n.properties as Json | undefined)?.[seg], root));
    value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  }
  return nodes;
}

/** The fields an object at `path` may have: what a misspelt field is compared with. */
function fieldsAt(root: Json, path: Path, data: unknown): string[] {
  return [...new Set(schemaAt(root, path, data).flatMap((n) => Object.keys((n.properties as Json | undefined) ?? {})))];
}

/** Edits (insert, delete, replace, swap two letters) from one word to another. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The field a misspelt one was probably meant to be: `drian` -> `drain`. */
export function closestField(root: Json, parent: Path, key: string, data: unknown): string | undefined {
  const scored = fieldsAt(root, parent, data).map((f) => ({ f, d: distance(key.toLowerCase(), f.toLowerCase()) }));
  const best = scored.sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.floor(best.f.length / 3)) ? best.f : undefined;
}

const KIND: Record<string, string> = { string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false', array: 'a list', object: 'a section of fields' };
const kindOf = (v: unknown): string => (Array.isArray(v) ? 'a list' : v === null ? 'empty (null)' : typeof v === 'object' ? 'a section of fields' : typeof v === 'string' ? 'text' : typeof v === 'boolean' ? `${v}` : typeof v === 'number' ? `the number ${v}` : typeof v);

/** How a field the plan lacks is added, for the ones every plan has. */
const EXAMPLES: Record<string, string> = {
  apiVersion: '`apiVersion: keyrot/v1`',
  name: '`name: payments-api` (lower-case letters, digits and -)',
  source: '`source: { type: generated }`, or an aws-iam or http issuer (README, "Issuers")',
  publish: '`publish: [{ type: file, path: keys.json }]`: a list of the stores consumers read (README, "Stores")',
  type: 'its `type:`',
};

/** What is wrong with a field and how to fix it. `data` is the plan as read; `schema` its JSON Schema. */
export function explainIssue(issue: z.core.$ZodIssue, data: unknown, schema: Json): { message: string; hint?: string } {
  const key = String(issue.path.at(-1) ?? 'the plan');
  const input = (issue as { input?: unknown }).input;
  const field = schemaAt(schema, issue.path as Path, data);
  const duration = field.some((n) => n.pattern === DURATION_PATTERN.source);
  if (issue.code === 'invalid_type' && input === undefined) {
    const described = field.map((n) => n.description).find((d): d is string => typeof d === 'string');
    const what = duration ? `\`${key}: 24h\` (a duration: digits and a unit)` : `\`${key}:\` with ${KIND[issue.expected] ?? issue.expected}${described ? ` (${described})` : ''}`;
    return { message: `\`${key}\` is missing`, hint: `add ${EXAMPLES[key] ?? what}` };
  }
  if (issue.code === 'invalid_type') {
    if (duration && typeof input === 'number') {
      return { message: `${input} has no unit: \`${key}\` is a duration`, hint: `write the unit after the number: \`${key}: ${input}s\` (seconds), ${input}m (minutes), ${input}h or ${input}d` };
    }
    if ((issue.expected === 'number' || issue.expected === 'int') && typeof input === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(input)) {
      return { message: `\`${key}\` is a number, written here as text ("${input.trim()}")`, hint: `write it without quotes: \`${key}: ${input.trim()}\`` };
    }
    if (issue.expected === 'array' && input && typeof input === 'object') {
      return { message: `\`${key}\` must be a list, even of one`, hint: `put \`- \` before the entry on its own line, or write it in brackets: \`${key}: [{ … }]\`` };
    }
    return { message: `\`${key}\` must be ${KIND[issue.expected] ?? issue.expected}, not ${kindOf(input)}`, hint: 'see its description: `keyrot schema`, or the README\'s table of fields' };
  }
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
    const given = typeof input === 'string' ? input : (input as Json | undefined)?.type;
    const section = String(issue.path.at(key === 'type' ? -2 : -1) ?? 'the plan');
    if (typeof given !== 'string') return { message: `\`${section}\` has no \`type\``, hint: `add \`type:\`, one of: ${options.join(', ')}` };
    const meant = options.map((o) => ({ o, d: distance(given.toLowerCase(), o) })).sort((a, b) => a.d - b.d)[0];
    const shown = given.length > 40 ? `${given.slice(0, 40)}…` : given;
    return { message: `unknown type "${shown}" for \`${section}\``, hint: meant && meant.d <= 2 ? `did you mean \`${meant.o}\`? (one of: ${options.join(', ')})` : `one of: ${options.join(', ')}` };
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
    const inclusive = issue.inclusive !== false;
    const limit = issue.code === 'too_small' ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
    if (issue.origin === 'array') return { message: issue.code === 'too_small' ? `\`${key}\` needs at least ${bound} ${bound === 1 ? 'entry' : 'entries'}` : `\`${key}\` takes at most ${bound} entries` };
    if (issue.origin === 'string') return { message: bound === 1 && issue.code === 'too_small' ? `\`${key}\` is empty` : `\`${key}\` must be ${limit} ${bound} characters long` };
    return { message: `\`${key}\` must be ${limit} ${bound}${typeof input === 'number' ? `, not ${input}` : ''}` };
  }
  if (issue.code === 'invalid_value' && issue.values.length === 1) return { message: `must be ${JSON.stringify(issue.values[0])}` };
  if (issue.code === 'invalid_value') return { message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
  return { message: issue.message };
}
