// Where a text stops being JSON, as a line and column, for errors about input that may hold a
// secret: the parser's own message quotes the text around the error ("Unexpected token 's',
// "[{"a": sk_live_…" is not valid JSON"), so only the position it found may be shown.

/** 'end': every prefix this long is the start of some JSON document; 'bad': it holds an error. */
function prefixState(text: string): 'ok' | 'end' | 'bad' {
  try {
    JSON.parse(text);
    return 'ok';
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    if (/Unexpected end|Unterminated/.test(message) || (at && Number(at[1]) >= text.length)) return 'end';
    return 'bad';
  }
}

/** The 1-based line and column of the first character that cannot be part of valid JSON. */
export function jsonErrorAt(text: string): { line: number; column: number } {
  // A prefix ending before the error reads as JSON cut short; one that includes it, as an error.
  // The smallest such prefix ends at the error: found by halving, with the parser as the judge.
  let low = 0;
  let high = text.length;
  if (prefixState(text) !== 'bad') low = high; // cut short: the error is the end of the text
  while (low < high) {
    const mid = (low + high) >> 1;
    if (prefixState(text.slice(0, mid + 1)) === 'bad') high = mid;
    else low = mid + 1;
  }
  const before = text.slice(0, low);
  const line = before.split('\n').length;
  return { line, column: low - before.lastIndexOf('\n') };
}
