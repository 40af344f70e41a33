// keyrot completion bash|zsh|fish: a completion script written from the program itself, so every
// command and flag keyrot knows is completed, and nothing it does not. Plan arguments complete to
// .yaml/.yml files and folders; flags that take a path complete to files; --output to its choices.
import type { Command, Option } from 'commander';
import { EXIT } from '../../messages.js';

interface Flag {
  names: string[];
  /** Takes a value: its choices, 'path' for a file or folder, or 'any'. */
  value?: string[] | 'path' | 'any';
}

interface Spec {
  name: string;
  flags: Flag[];
  /** The command's arguments are plan files (or folders of them). */
  plans: boolean;
  /** Its own commands (`keyrot state migrate`): their names, and their flags merged into `flags`. */
  subcommands: string[];
}

const PATH_FLAGS = /^--(state|metrics-file|from-report)$/;
const PLAN_ARGS = /^plans?$/;

function flagOf(o: Option): Flag {
  const names = [o.short, o.long].filter((n): n is string => Boolean(n));
  if (!o.required && !o.optional) return { names };
  const choices = (o as Option & { argChoices?: string[] }).argChoices;
  return { names, value: choices ?? (names.some((n) => PATH_FLAGS.test(n)) ? 'path' : 'any') };
}

function specOf(c: Command): Spec {
  const args = (c as Command & { registeredArguments: Array<{ name(): string }> }).registeredArguments;
  const flags = [c, ...c.commands].flatMap((cmd) => cmd.options.filter((o) => !o.hidden).map(flagOf));
  const unique = [...new Map(flags.map((f) => [f.names.join('|'), f])).values()];
  return { name: c.name(), flags: [...unique, { names: ['-h', '--help'] }], plans: args.some((a) => PLAN_ARGS.test(a.name())), subcommands: c.commands.map((sub) => sub.name()) };
}

const words = (flags: Flag[]) => flags.flatMap((f) => f.names).join(' ');

function bash(commands: Spec[]): string {
  const valueCases = commands
    .flatMap((c) => c.flags)
    .filter((f) => f.value)
    .reduce((m, f) => m.set(f.names.join('|'), f.value!), new Map<string, Flag['value']>());
  const lines = [
    '# keyrot completion for bash: source <(keyrot completion bash), or save it in /etc/bash_completion.d/keyrot',
    '_keyrot() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in -*) ;; *) cmd="${COMP_WORDS[i]}"; break ;; esac',
    '  done',
    '  case "$prev" in',
    ...[...valueCases].map(([names, value]) =>
      `    ${names}) COMPREPLY=(${value === 'path' ? '$(compgen -f -- "$cur")' : Array.isArray(value) ? `$(compgen -W "${value.join(' ')}" -- "$cur")` : ''}); return ;;`),
    '  esac',
    '  local flags="" plans="" subs=""',
    '  case "$cmd" in',
    `    "") COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} --help --version" -- "$cur")); return ;;`,
    ...commands.map((c) => `    ${c.name}) flags="${words(c.flags)}"${c.plans ? '; plans=1' : ''}${c.subcommands.length ? `; subs="${c.subcommands.join(' ')}"` : ''} ;;`),
    '  esac',
    '  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); return; fi',
    '  if [[ -n "$subs" && "$prev" == "$cmd" ]]; then COMPREPLY=($(compgen -W "$subs" -- "$cur")); return; fi',
    '  if [[ -n "$plans" ]]; then',
    '    compopt -o filenames 2>/dev/null',
    "    COMPREPLY=($(compgen -f -X '!*.yaml' -- \"$cur\") $(compgen -f -X '!*.yml' -- \"$cur\"))",
    // Folders of plans, but not keyrot's own state folder (.keyrot) nor any hidden one the user did not start typing.
    '    local d; for d in $(compgen -d -- "$cur"); do',
    '      case "${d##*/}" in .keyrot|.|..) continue ;; .*) [[ "${cur##*/}" == .* ]] || continue ;; esac',
    '      COMPREPLY+=("$d")',
    '    done',
    '  elif [[ "$cmd" == completion ]]; then',
    '    COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"))',
    '  fi',
    '}',
    'complete -F _keyrot keyrot',
  ];
  return `${lines.join('\n')}\n`;
}

function zsh(commands: Spec[]): string {
  const q = (s: string) => s.replace(/'/g, `'\\''`);
  const flagSpec = (f: Flag) => {
    const action = f.value === 'path' ? ':path:_files' : Array.isArray(f.value) ? `:value:(${f.value.join(' ')})` : f.value ? ':value:' : '';
    return f.names.map((n) => `'${q(n)}[]${action}'`).join(' ');
  };
  const lines = [
    '#compdef keyrot',
    '# keyrot completion for zsh: keyrot completion zsh > "${fpath[1]}/_keyrot", or source <(keyrot completion zsh) after compinit',
    '_keyrot() {',
    '  local -a commands',
    `  commands=(${commands.map((c) => c.name).join(' ')})`,
    '  if (( CURRENT == 2 )); then _describe command commands; return; fi',
    '  case "$words[2]" in',
    ...commands.map((c) => {
      const rest = c.plans
        ? "'*:plan:_files -g \"*.(yaml|yml)(-.) *(-/)\"'"
        : c.name === 'completion' ? "'1:shell:(bash zsh fish)'" : c.subcommands.length ? `'1:command:(${c.subcommands.join(' ')})'` : '';
      return `    ${c.name}) shift words; (( CURRENT-- )); _arguments -s ${c.flags.map(flagSpec).join(' ')} ${rest} ;;`;
    }),
    '  esac',
    '}',
    'compdef _keyrot keyrot',
  ];
  return `${lines.join('\n')}\n`;
}

function fish(commands: Spec[]): string {
  const names = commands.map((c) => c.name).join(' ');
  const lines = [
    '# keyrot completion for fish: keyrot completion fish > ~/.config/fish/completions/keyrot.fish',
    'complete -c keyrot -f',
    `complete -c keyrot -n "not __fish_seen_subcommand_from ${names}" -a "${names}"`,
    'complete -c keyrot -n "__fish_use_subcommand" -l version -d "print the version"',
  ];
  for (const c of commands) {
    const when = `-n "__fish_seen_subcommand_from ${c.name}"`;
    for (const f of c.flags) {
      const long = f.names.find((n) => n.startsWith('--'))?.slice(2);
      const short = f.names.find((n) => /^-\w$/.test(n))?.slice(1);
      const value = f.value === 'path' ? ' -r -F' : Array.isArray(f.value) ? ` -x -a "${f.value.join(' ')}"` : f.value ? ' -x' : '';
      lines.push(`complete -c keyrot ${when}${short ? ` -s ${short}` : ''}${long ? ` -l ${long}` : ''}${value}`);
    }
    if (c.plans) lines.push(`complete -c keyrot ${when} -a "(__fish_complete_suffix .yaml; __fish_complete_suffix .yml)"`);
    if (c.name === 'completion') lines.push(`complete -c keyrot ${when} -a "bash zsh fish"`);
    if (c.subcommands.length) lines.push(`complete -c keyrot ${when} -a "${c.subcommands.join(' ')}"`);
  }
  return `${lines.join('\n')}\n`;
}

export const SHELLS = { bash, zsh, fish } as const;

export function completionCommand(shell: string, program: Command): number {
  const commands = program.commands.map(specOf);
  process.stdout.write(SHELLS[shell as keyof typeof SHELLS](commands));
  return EXIT.ok;
}
