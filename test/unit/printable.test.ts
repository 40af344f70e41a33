// Values keyrot did not write, made safe to print: no escape sequence, carriage return, newline or
// bidi override reaches a terminal or a log line from them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable, printableDeep, printableJson } from '../../src/shared/printable.js';

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

  it('printableDeep escapes every string of a document, deep, and cuts none short', () => {
    const long = 'x'.repeat(2_000);
    expect(printableDeep({ a: ['\x1b[2J', { b: 'ok\r\n' }], n: 3, long, none: null })).toEqual({ a: ['\\x1b[2J', { b: 'ok\\r\\n' }], n: 3, long, none: null });
  });

  it('printableDeep hands back what needs no escape as it is, and never changes what it was given', () => {
    const clean = { type: 'step', plan: 'p', lines: ['a', { b: 'c' }], n: 3, none: null };
    expect(printableDeep(clean)).toBe(clean);
    const raw = { plan: 'p', lines: ['ok', '\x1b[2J'], nested: { keep: { k: 'v' }, bad: 'x\ny' } };
    const shown = printableDeep(raw);
    expect(shown).toEqual({ plan: 'p', lines: ['ok', '\\x1b[2J'], nested: { keep: { k: 'v' }, bad: 'x\\ny' } });
    expect(raw).toEqual({ plan: 'p', lines: ['ok', '\x1b[2J'], nested: { keep: { k: 'v' }, bad: 'x\ny' } });
    expect(shown.nested.keep).toBe(raw.nested.keep); // the clean part is shared, not copied
  });

  it('printableJson is the same JSON value with every unprintable character a \\u escape', () => {
    const value = { s: '\x1b]0;t\x07 \u009b2J \u2028 \u202e \u007f' };
    const json = printableJson(value);
    expect(json).not.toMatch(UNPRINTABLE);
    expect(JSON.parse(json)).toEqual(value);
  });
});
