// A real temporary folder holding plans, state and the file store, built from small literals.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

export interface Workspace {
  dir: string;
  /** Write a plan (object -> YAML) and return its path. */
  plan(name: string, body: Record<string, unknown>): string;
  write(rel: string, text: string): string;
  read(rel: string): string;
  exists(rel: string): boolean;
  json<T = unknown>(rel: string): T;
  /** Every file under the workspace, as text, for secret scans. */
  allText(): string;
  cleanup(): void;
}

export function workspace(): Workspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-test-'));
  const abs = (rel: string) => path.join(dir, rel);
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)]));
  return {
    dir,
    plan(name, body) {
      return this.write(`${name}.yaml`, stringify(body));
    },
    write(rel, text) {
      writeFileSync(abs(rel), text);
      return abs(rel);
    },
    read: (rel) => readFileSync(abs(rel), 'utf8'),
    exists: (rel) => existsSync(abs(rel)),
    json: (rel) => JSON.parse(readFileSync(abs(rel), 'utf8')),
    allText: () => walk(dir).map((f) => readFileSync(f, 'utf8')).join('\n'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A demo-like plan: generated key, one file store, short timers. */
export const localPlan = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'keyrot/v1',
  name,
  source: { type: 'generated' },
  publish: [{ type: 'file', path: `${name}-keys.json` }],
  drain: '15m',
  soak: '7d',
  ...extra,
});
