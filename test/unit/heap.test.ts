// The V8 heap settings keyrot starts with (src/cli/heap.ts, issue 27): made unless the user chose
// that setting themselves, and each one a flag this Node's V8 knows (an unknown one would be ignored
// silently by v8.setFlagsFromString, and the memory it saves lost without a word).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { heapFlags } from '../../src/cli/heap.js';

describe('keyrot heap settings', () => {
  it('keeps the young generation from growing and the old one within half its live size, by default', () => {
    expect(heapFlags([], '')).toEqual(['--semi-space-growth-factor=1', '--heap-growing-percent=50']);
  });

  it("leaves each setting the user chose, through node's flags or NODE_OPTIONS, to the user", () => {
    expect(heapFlags(['--max-semi-space-size=8'], '')).toEqual(['--heap-growing-percent=50']);
    expect(heapFlags([], '--heap_growing_percent=0')).toEqual(['--semi-space-growth-factor=1']);
    expect(heapFlags(['--heap-growing-percent=0'], '--semi-space-growth-factor=2')).toEqual([]);
  });

  it("uses only flags this Node's V8 accepts", () => {
    for (const flag of heapFlags([], '')) {
      const r = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
      expect({ flag, status: r.status, stderr: r.stderr }).toEqual({ flag, status: 0, stderr: '' });
    }
  });
});
