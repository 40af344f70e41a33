// Command-line arguments name plan files or folders of them; expand them into plan files.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../errors.js';

const isPlanFile = (name: string) => /\.ya?ml$/i.test(name);

export async function discoverPlanFiles(args: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info) throw new KeyrotError('plan-not-found', { path: arg });
    if (info.isDirectory()) {
      const entries = (await readdir(arg)).filter(isPlanFile).sort();
      files.push(...entries.map((name) => path.join(arg, name)));
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0) throw new KeyrotError('plan-not-found', { path: args.join(', ') || '(none given)' });
  return [...new Set(files)];
}
