// "1 target", "2 targets": counts in words, never "1 target(s)".

/** `n` and the word for it, plural unless `n` is 1: count(1, 'plan') -> "1 plan", count(3, 'key') -> "3 keys". */
export const count = (n: number, word: string, plural = `${word}s`): string => `${n} ${n === 1 ? word : plural}`;
