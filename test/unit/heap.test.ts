// The V8 heap settings keyrot starts with (src/cli/heap.ts, issue 27): made unless the user chose
// that setting themselves, and each one a flag this Node's V8 knows (an unknown one would be ignored
// silently by v8.setFlagsFromString, and the memory it saves lost without a word).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
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

  // In a process of its own, from the build (npm run build first): V8's flags are process-wide.
  // Allocates in steps with many survivors (what rotations in flight look like to the scavenger) and
  // reports the largest young generation (new_space: both semi-spaces) seen after any collection.
  const youngGenerationPeakMb = (grow: string) => {
    const script = `
      import v8 from 'node:v8';
      import { fitHeapToRun, keepHeapNearLiveData, letYoungGenerationGrow } from ${JSON.stringify(path.resolve('dist/cli/heap.js'))};
      keepHeapNearLiveData();
      ${grow}
      const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
      let peak = young();
      const kept = new Array(100000);
      for (let step = 0; step < 60; step++) {
        for (let i = 0; i < 50000; i++) kept[(step * 50000 + i) % kept.length] = { step, i };
        // Two turns of the event loop, as between any two of a rotation's I/O steps: the collection's
        // report reaches the observer on the second.
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        peak = Math.max(peak, young());
      }
      console.log(peak);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return Number(r.stdout.trim());
  };

  it('lets the young generation grow for rotations, up to the size asked for and no further', () => {
    expect(youngGenerationPeakMb('')).toBeLessThanOrEqual(2);
    expect(youngGenerationPeakMb('letYoungGenerationGrow(2);')).toBe(4);
    expect(youngGenerationPeakMb('letYoungGenerationGrow(4);')).toBe(8);
  });

  it('grows it for a run over a few thousand plans, not over more', () => {
    expect(youngGenerationPeakMb('fitHeapToRun(200);')).toBe(16);
    expect(youngGenerationPeakMb('fitHeapToRun(10000);')).toBeLessThanOrEqual(2);
  });
});
