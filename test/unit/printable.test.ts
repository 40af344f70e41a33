// Values keyrot did not write, made safe to print: no escape sequence, carriage return, newline or
// bidi override reaches a terminal or a log line from them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/shared/printable.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

describe('printable', () => {
  it('writes control characters out as escapes, on one line', () => {
    expect(printable('\x1b]0;pwned\x07\x1b[2J\r\nkeyrot: done\t\u202eok\u0000\u009b')).toBe('\\x1b]0;pwned\\x07\\x1b[2J\\r\\nkeyrot: done\\t\\u202eok\\x00\\x9b');
    expect(printable('plain text, ünïcödé and 😀 stay')).toBe('plain text, ünïcödé and 😀 stay');
  });

  it('cuts long text and says how much was left out, never half a character', () => {
    expect(printable('a'.repeat(20), 8)).toBe('aaaaaaaa… (12 more characters)');
    expect(printable(`abc😀`, 4)).toBe('abc… (2 more characters)');
  });

  it('leaves nothing unprintable in any string, and changes printable text no further', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const once = printable(text, 1_000);
        expect(once).not.toMatch(UNPRINTABLE);
        expect(printable(once, 10_000)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });
});
