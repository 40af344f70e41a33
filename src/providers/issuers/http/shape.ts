// An answer's body as it may appear in an error: its shape, every value masked. A vendor's answer
// can hold a secret (a create answer does), so no value of it is ever quoted.

const MAX_TEXT = 300;
const MAX_DEPTH = 4;
const MAX_KEYS = 12;

function shapeOf(value: unknown, depth: number): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return depth >= MAX_DEPTH ? `[…${value.length}]` : `[${shapeOf(value[0], depth + 1)}${value.length > 1 ? `, …${value.length} items` : ''}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (depth >= MAX_DEPTH) return `{…${entries.length} fields}`;
    const shown = entries.slice(0, MAX_KEYS).map(([k, v]) => `${JSON.stringify(k)}: ${shapeOf(v, depth + 1)}`);
    return `{${shown.join(', ')}${entries.length > MAX_KEYS ? `, …${entries.length - MAX_KEYS} more` : ''}}`;
  }
  return typeof value; // string, number, boolean: the type, never the value
}

/** A JSON document's shape (`{"data": {"id": string}}`), cut to a readable length. */
export function shape(document: unknown): string {
  const text = shapeOf(document, 0);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** An answer's text as its shape: JSON as above, anything else by its type and size. */
export function shapeOfText(text: string, contentType: string | undefined): string {
  if (text.trim() === '') return 'an empty body';
  try {
    return shape(JSON.parse(text));
  } catch {
    return `${(contentType ?? 'text').split(';')[0]} (${Buffer.byteLength(text)} bytes, not JSON)`;
  }
}
