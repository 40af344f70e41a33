// Hints are commands that work when pasted: words quoted for a shell only when they need it.

/** One word as a shell reads it back: quoted only when it needs to be. */
export const shellWord = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/** `file`, quoted for a shell, with `--state DIR` when the run used one: what hints paste in. */
export const commandArg = (file: string, stateDir?: string): string =>
  stateDir ? `--state ${shellWord(stateDir)} ${shellWord(file)}` : shellWord(file);
