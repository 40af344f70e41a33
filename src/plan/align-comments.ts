// The comments of a plan keyrot writes (keyrot init) in one column, as a person would align them.

/** The column comments start at, unless a line's value is longer (then two spaces after it). */
const COMMENT_COLUMN = 30;

/** `lines` with each trailing comment (`value   # why`) moved to one column; comment-only lines are left as they are. */
export function alignComments(lines: string[]): string[] {
  return lines.map((line) => {
    const trailing = /^(\s*[^\s#].*?)\s{2,}(# .*)$/.exec(line);
    if (!trailing) return line;
    const [, code, comment] = trailing;
    return `${code!.padEnd(COMMENT_COLUMN - 1)} ${comment}`;
  });
}
