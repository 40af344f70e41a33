// Hints paste as the user ran keyrot. After the README's set-up keyrot runs as `npx keyrot …` (it is
// not on PATH until linked), so under npx every command a hint names is written `npx keyrot …`;
// typed as `keyrot` (linked, installed globally, or in an npm script), hints say `keyrot …`.
import { shellWord } from '../messages.js';

/** Run through npx (or `npm exec`): npm says so in the environment it hands the command. */
const underNpx = (env: NodeJS.ProcessEnv) => env.npm_lifecycle_event === 'npx' || env.npm_command === 'exec';

/**
 * Under npx, every command quoted in what keyrot prints (`` `keyrot run …` ``) becomes `` `npx keyrot run …` ``:
 * one place for every hint, message and event, whoever wrote it.
 */
export function installInvocation(env: NodeJS.ProcessEnv): void {
  if (!underNpx(env)) return;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === 'string' ? chunk.replace(/`keyrot /g, '`npx keyrot ') : chunk, ...rest)) as typeof stream.write;
  }
}

/** The command line as typed, quoted for a shell: what "run it again" pastes. */
export function typedCommand(argv: string[] = process.argv.slice(2)): string {
  return ['keyrot', ...argv.map(shellWord)].join(' ');
}

/** The keyrot command an argument list runs (`run`, `state migrate`), for `keyrot run --help`. */
export function commandNameIn(argv: string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  if (words.length === 0) return undefined;
  return words[0] === 'state' && words[1] === 'migrate' ? 'state migrate' : words[0];
}
