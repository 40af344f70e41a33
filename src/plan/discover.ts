// Command-line arguments name plan files, folders of them, or plans by name; expand them into plan files.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../errors.js';

const isPlanFile = (name: string) => /\.ya?ml$/i.test(name);
const PLAN_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** Where a plan given by name is looked for: the usual places, as `keyrot status` looks. */
const NAME_FOLDERS = ['.', 'rotation-plans'];

async function planFilesIn(folder: string): Promise<string[]> {
  const entries = (await readdir(folder).catch(() => [] as string[])).filter(isPlanFile).sort();
  return entries.map((name) => path.join(folder, name));
}

/** The top-level `name:` of a plan file, read without parsing YAML (the loader validates it after). */
async function declaredName(file: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return /^name:[ \t]*["']?([a-z0-9-]+)["']?[ \t]*(?:#.*)?$/m.exec(text)?.[1];
}

/** A plan named `name` among the plan files of the usual folders. */
async function planNamed(name: string): Promise<string> {
  for (const folder of NAME_FOLDERS) {
    for (const file of await planFilesIn(folder)) {
      if ((await declaredName(file)) === name) return file;
    }
  }
  // The folders that hold plans, for the hint's `keyrot validate …` (which lists them with their names).
  const holding: string[] = [];
  for (const folder of NAME_FOLDERS) if ((await planFilesIn(folder)).length > 0) holding.push(folder === '.' ? '.' : `${folder}/`);
  throw new KeyrotError('plan-name-unknown', { name, folders: NAME_FOLDERS.map((f) => `${f}/`).join(' and '), holding: holding.join(' ') });
}

export async function discoverPlanFiles(args: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info) {
      if (!PLAN_NAME.test(arg)) throw new KeyrotError('plan-not-found', { path: arg });
      files.push(await planNamed(arg));
    } else if (info.isDirectory()) {
      files.push(...(await planFilesIn(arg)));
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0) throw new KeyrotError('plan-not-found', { path: args.join(', ') || '(none given)' });
  return [...new Set(files)];
}
