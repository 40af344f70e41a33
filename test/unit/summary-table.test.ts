// The run summary's "last event" column (src/cli/reporters/describe.ts): one row per result, each with what
// was said last about it. A revoke of two keys of one plan has two results for that plan: each row shows
// its own key's last event, never the first key's twice, and the footer counts keys, not plans.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { LastWords, summaryTable } from '../../src/cli/reporters/describe.js';

const waiting: RunEvent = { type: 'waiting', plan: 'svc', phase: 'soak', until: '2026-01-08T00:00:00.000Z', reason: 'soak' };
const note = (message: string): RunEvent => ({ type: 'note', plan: 'svc', message });
const done = { status: 'done' } as const;

describe('the summary table', () => {
  it('two results of one plan, each told when known: each row has its own last event', () => {
    const words = new LastWords();
    words.hear(note('AKIA1 was last used: never used'));
    words.hear(waiting);
    words.hear(note('revoked AKIA1; replacement AKIA3 published'));
    words.take({ plan: 'svc', outcome: done });
    words.hear(note('AKIA2 was last used: never used'));
    words.hear(note('revoked AKIA2; the rotation in flight goes on where it stood'));
    words.take({ plan: 'svc', outcome: done });
    const results = [{ plan: 'svc', outcome: done }, { plan: 'svc', outcome: done }];
    expect(summaryTable(results, words)).toEqual([
      'plan  outcome  last event',
      'svc   done     soak until 2026-01-08T00:00:00.000Z',
      'svc   done     revoked AKIA2; the rotation in flight goes on where it stood',
      '2 keys in 1 plan: 2 done',
    ]);
  });

  it('results not told one by one (keyrot run): each plan\'s last outcome event, else its last note', () => {
    const words = new LastWords();
    words.hear(waiting);
    words.hear(note('something after'));
    words.hear({ ...note('only a note'), plan: 'api' });
    expect(words.rows([{ plan: 'svc', outcome: done }, { plan: 'api', outcome: done }, { plan: 'web', outcome: done }])).toEqual([
      'soak until 2026-01-08T00:00:00.000Z', 'only a note', '',
    ]);
  });
});
