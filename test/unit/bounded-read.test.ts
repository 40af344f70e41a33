// readBounded: a file's whole text whatever its size against the scratch buffer small files are
// first read into (64 KiB), never more than the bound, and each text its own (the buffer is reused).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBounded } from '../../src/bounded-read.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());


describe('readBounded', () => {
  it('reads small, boundary-sized and large files whole, each text unchanged by the next read', () => {
    const sizes = [0, 1, 5000, 64 * 1024 - 2, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 300_000];
    const texts = sizes.map((n, i) => String.fromCharCode(97 + i).repeat(n));
    const files = texts.map((t, i) => ws.write(`f${i}.txt`, t));
    const read = files.map((f) => readBounded(f, 1024 * 1024));
    expect(read.map((r) => r.length)).toEqual(sizes);
    expect(read).toEqual(texts);
  });

  it('decodes UTF-8 across the whole file', () => {
    const t = `${'x'.repeat(64 * 1024 - 3)}é€${'y'.repeat(10)}`;
    expect(readBounded(ws.write('u.txt', t), 1024 * 1024)).toBe(t);
    expect(readBounded(ws.write('v.txt', 'clé: ☃'), 100)).toBe('clé: ☃');
  });

  it('refuses a file past the bound, at the bound reads it, and refuses a folder', () => {
    expect(readBounded(ws.write('a.txt', 'x'.repeat(11)), 10)).toBe('too-large');
    expect(readBounded(ws.write('b.txt', 'x'.repeat(10)), 10)).toBe('x'.repeat(10));
    expect(readBounded(ws.write('c.txt', 'x'.repeat(70_000)), 69_999)).toBe('too-large');
    expect(readBounded(ws.dir, 10)).toBe('not-a-file');
  });
});
