// What the database e2e tests share: a plan with a file target, the built keyrot run with the admin's
// password in its environment, stored deadlines moved into the past instead of waited through, a
// consumer process (test/peers/db-consumer.mjs) that queries through a pool while keyrot rotates,
// and a scan of everything keyrot printed for every password a target ever held.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { PhaseName } from '../../src/engine/rotation.js';
import { keyrot, type CliResult } from './cli.js';
import { leakedIndexes, readAudit, readState, readStore, type StoredKey } from './inspect.js';
import type { Workspace } from './workspace.js';

const CONSUMER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'peers', 'db-consumer.mjs');
export const ADMIN_ENV = 'KEYROT_TEST_DB_PASSWORD';

export interface ConsumerReport {
  ok: number;
  errors: Record<string, number>;
  switches: number;
  logins: string[];
}

export function databaseKit(get: () => { ws: Workspace; adminPassword: string }) {
  const outputs: string[] = [];
  const secrets = new Set<string>();
  const storeFile = (plan: string) => path.join(get().ws.dir, `${plan}-creds.json`);
  const stateFile = (plan: string) => path.join(get().ws.dir, '.keyrot', 'state', `${plan}.json`);

  /** The published key now (and every password a target held is remembered for the leak scan). */
  const published = (plan: string): StoredKey => {
    const current = readStore(storeFile(plan)).current!;
    secrets.add(current.secret);
    return current;
  };

  return {
    storeFile,
    published,
    state: (plan: string) => readState(path.join(get().ws.dir, '.keyrot'), plan),
    audit: () => readAudit(path.join(get().ws.dir, '.keyrot')),

    /** A plan: `source` as given, a file target, no overlap, a session gate without quiet time, a short soak. */
    plan(name: string, source: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
      return get().ws.plan(name, {
        apiVersion: 'keyrot/v1', name, source, publish: [{ type: 'file', path: `${name}-creds.json` }],
        drain: '0s', lastUsed: { quietFor: '0s', maxWait: '1h' }, soak: '1h', ...extra,
      });
    },

    /** The built keyrot, the admin password in the environment; its output is kept for the leak scan. */
    async cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
      const result = await keyrot(args, { cwd: get().ws.dir, env: { [ADMIN_ENV]: get().adminPassword, ...env } });
      outputs.push(result.stdout, result.stderr);
      return result;
    },

    /** Move a stored deadline into the past: what waiting through it would do, without the wait. */
    expireDeadline(plan: string, phase: PhaseName): void {
      const state = JSON.parse(readFileSync(stateFile(plan), 'utf8'));
      expect(state.deadlines[phase], `${plan} has a ${phase} deadline`).toBeTypeOf('string');
      state.deadlines[phase] = new Date(Date.now() - 1000).toISOString();
      writeFileSync(stateFile(plan), JSON.stringify(state));
    },

    /** Start the pooled consumer on the plan's file target; stop() ends it and answers what it saw. */
    async consumer(kind: 'postgresql' | 'mysql' | 'redis', plan: string, host: string, port: number, database?: string) {
      const child = spawn(process.execPath, [CONSUMER, kind, storeFile(plan), host, String(port), ...(database ? [database] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => out.includes('started') && resolve());
        child.once('exit', (code) => reject(new Error(`consumer exited ${code}: ${out}`)));
      });
      return {
        async stop(): Promise<ConsumerReport> {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
          return JSON.parse(out.trim().split('\n').pop()!) as ConsumerReport;
        },
      };
    },

    /** Which passwords any keyrot output so far contains, by index: never the password itself. */
    leaks(): number[] {
      return leakedIndexes(outputs.join('\n') + get().ws.allText().replace(/"secret": "[^"]*"/g, ''), [...secrets]);
    },
  };
}
