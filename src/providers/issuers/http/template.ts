// Templates in an http issuer's calls: `{{keyId}}`, `{{name}}`, `{{now}}`, `{{plan}}`, `{{secret}}`
// (verify only), `{{nonce}}` (keyName only: six random hex digits, where key names must be unique),
// `{{item.<field>}}` (the key as the list answered it) and the plan's own `values`.
// A string that is exactly one placeholder takes the value as it is (a list of scopes stays a list);
// anywhere else the value is written as text. `{{item.condition?}}` is optional: a body field that
// is exactly it is left out when the key has no such value (a full-replace update sends back only
// what the key has). Filled in memory, per request.

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w.-]*)(\?)?\s*\}\}/g;
const ANY_PLACEHOLDER = /\{\{\s*(.*?)\s*\}\}/g;
const EXACTLY_ONE = /^\{\{\s*([A-Za-z][\w.-]*)(\?)?\s*\}\}$/;
const LEFT_OUT = Symbol('left out');

/** Names keyrot fills in itself; a plan value may not take one of them. */
export const BUILT_IN = ['keyId', 'name', 'now', 'nonce', 'plan', 'secret'] as const;

export type Vars = Record<string, unknown>;

/** Every placeholder written in `text`, well-formed or not ("{{ key id }}" too). */
export const placeholdersIn = (text: string): string[] => [...text.matchAll(ANY_PLACEHOLDER)].map((m) => m[1]!);

/** Every placeholder anywhere in a JSON-like value (strings, lists, objects). */
export function placeholdersDeep(value: unknown): string[] {
  if (typeof value === 'string') return placeholdersIn(value);
  if (Array.isArray(value)) return value.flatMap(placeholdersDeep);
  if (value && typeof value === 'object') return Object.values(value).flatMap(placeholdersDeep);
  return [];
}

/** A variable's value: `item.status` walks into the listed key. Undefined when it is not there. */
export function lookup(vars: Vars, name: string): unknown {
  let value: unknown = vars;
  for (const part of name.split('.')) {
    if (!value || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** `text` with every placeholder filled; `encode` quotes each value for where it goes (a URL path). */
export function fillText(text: string, vars: Vars, encode: (v: string) => string = (v) => v): string {
  return text.replace(PLACEHOLDER, (whole, name: string, optional?: string) => {
    const value = lookup(vars, name);
    if (value === undefined) return optional ? '' : whole;
    return encode(asText(value));
  });
}

/** A body or query template filled in: exact placeholders keep their value's type. */
export function fillJson(template: unknown, vars: Vars): unknown {
  const filled = fill(template, vars);
  return filled === LEFT_OUT ? undefined : filled;
}

function fill(template: unknown, vars: Vars): unknown {
  if (typeof template === 'string') {
    const exact = EXACTLY_ONE.exec(template);
    if (exact) {
      const value = lookup(vars, exact[1]!);
      if (value !== undefined) return value;
      return exact[2] ? LEFT_OUT : template;
    }
    return fillText(template, vars);
  }
  if (Array.isArray(template)) return template.map((v) => fill(v, vars)).filter((v) => v !== LEFT_OUT);
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fill(v, vars)]).filter(([, v]) => v !== LEFT_OUT));
  }
  return template;
}

/** `{{now}}`: the moment as a name-safe stamp, 20260102T030405Z. */
export const stamp = (at: Date): string => at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
