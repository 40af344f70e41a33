// How a command speaks: `text` for a person at a terminal, `plain` for logs (one line per event),
// `json` for programs. Every command takes `--output`; `--json` and `--plain` are its aliases. With
// json, stdout carries only JSON, whatever happens: results, refusals, invalid plans and bugs alike
// (the shapes are published in schema/ and tested against).
import { Option } from 'commander';
import chalk from 'chalk';
import { printableJson } from '../shared/printable.js';

export type OutputFormat = 'text' | 'plain' | 'json';

export interface OutputFlags {
  output?: string;
  json?: boolean;
  plain?: boolean;
}

export const outputOption = () =>
  new Option('--output <format>', 'text (for a terminal), plain (one line per event) or json (for programs)').choices(['text', 'plain', 'json']);
export const jsonOption = () => new Option('--json', 'the same as --output json');
export const plainOption = () => new Option('--plain', 'the same as --output plain');
export const noColorOption = () => new Option('--no-color', 'no colours (as NO_COLOR=1 does)');

/** The format a command's flags ask for; `text` unless a flag says otherwise. */
export function outputOf(flags: OutputFlags): OutputFormat {
  if (flags.json) return 'json';
  if (flags.plain) return 'plain';
  return (flags.output as OutputFormat | undefined) ?? 'text';
}

/**
 * The format the command line asks for, read before commander parses it: an unknown flag or a
 * missing argument is reported in that format too.
 */
export function outputFromArgv(argv: string[]): OutputFormat {
  const at = argv.indexOf('--output');
  const given = argv.find((a) => a.startsWith('--output='))?.slice('--output='.length) ?? (at >= 0 ? argv[at + 1] : undefined);
  if (argv.includes('--json') || given === 'json') return 'json';
  if (argv.includes('--plain') || given === 'plain') return 'plain';
  return 'text';
}

/** Colour only where it helps: NO_COLOR (no-color.org) or --no-color turn it off everywhere. */
export function applyColorChoice(argv: string[]): void {
  if (argv.includes('--no-color')) process.env.NO_COLOR = '1';
  if (process.env.NO_COLOR) chalk.level = 0; // chalk itself does not read NO_COLOR
}

/** One JSON document on stdout, every unprintable character in it escaped (the same JSON value). */
export function writeJson(doc: object): void {
  process.stdout.write(`${printableJson(doc)}\n`);
}
