import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/shared/duration.js';

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '15', 'm', '15 minutes', '1.5h', '-5m', '5x'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('prints the shortest exact spelling', () => {
    expect([5_400_000, 604_800_000, 90_000, 0, 500].map(formatDuration)).toEqual(['1h30m', '7d', '1m30s', '0s', '500ms']);
  });
});
