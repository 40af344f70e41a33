// Text keyrot did not write (a server's error message, a field of its answer, a file name from a
// report) may carry terminal escape sequences that clear the screen or set the window title, a
// carriage return that overwrites a line, a newline that forges a second log line, or a bidi override
// that reverses what is shown. Pass such a value through `printable` before it goes into a message.

// C0 controls, DEL, C1 controls, the Unicode line and paragraph separators, bidi marks and overrides, BOM.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const escapeOne = (c: string): string => {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
};

/**
 * `text` on one line with every control character written out as an escape (`\x1b`, `\n`, `\u202e`),
 * cut to `max` characters of the original. Backslashes are left alone, so text that is already
 * printable (and no longer than `max`) comes back as it was: a source and the engine may both apply it.
 */
export function printable(text: string, max = 500): string {
  let cut = text.length > max ? text.slice(0, max) : text;
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1); // not half a character
  const more = text.length - cut.length;
  return cut.replace(UNPRINTABLE, escapeOne) + (more > 0 ? `… (${more} more characters)` : '');
}

/**
 * `value` with every string in it (deep, through arrays and plain objects) made printable: what a
 * text renderer is handed, so no value from a server, a report or a plan reaches the terminal raw.
 * Nothing is cut short here (a message may list many plans); the fields are escaped, not trimmed.
 * What needs no escape is handed back as it is, not copied: every event of a run passes through here
 * two or three times (reporter, describeEvent, LastWords), and nearly all of them are printable already.
 */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value, Number.MAX_SAFE_INTEGER) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const shown = printableDeep(item);
      if (shown !== item) (copy ??= [...value])[i] = shown;
    });
    return (copy ?? value) as T;
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      const shown = printableDeep(item);
      if (shown !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = shown;
    }
    return (copy ?? value) as T;
  }
  return value;
}

// What JSON.stringify leaves raw inside a string: DEL, C1 controls (0x9b is CSI on some terminals),
// the line and paragraph separators, bidi marks and overrides, BOM. C0 controls it escapes itself.
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** JSON text of `value` in which every unprintable character is a \u escape: the same value, safe on a terminal. */
export function printableJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
