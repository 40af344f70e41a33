// Where state lives, chosen once per command: `--state DIR` (or KEYROT_STATE), `--state vault://<mount>/<prefix>`,
// or by default the folder `.keyrot/` beside each plan file. Every engine operation gets this one
// value and asks it for a plan's store; nothing else constructs a store.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { printable } from '../shared/printable.js';
import { stateDirOf } from './location.js';
import type { StateStore } from './store.js';

export interface StateBackend {
  /** What the user passed (--state or KEYROT_STATE), for hints; undefined for the default folders. */
  readonly spec: string | undefined;
  /** The store holding a plan's state. */
  of(plan: { dir: string }): Promise<StateStore>;
  /** The stores to read when no plan is named (status, history): these plans', or the usual places. */
  stores(plans: { dir: string }[]): Promise<StateStore[]>;
}

export const isVaultSpec = (spec: string | undefined): spec is string => spec !== undefined && /^vault:\/\//i.test(spec);

/** Wraps every store the backend opens: how the crash tests kill keyrot right after a save (test/helpers/faults.mjs). */
export type StoreDecorator = (store: StateStore) => StateStore;

/** The state backend for `--state` / KEYROT_STATE (spec), built once per command. */
export function openState(spec: string | undefined, env: NodeJS.ProcessEnv = process.env, decorate: StoreDecorator = (s) => s): StateBackend {
  if (isVaultSpec(spec)) {
    let store: Promise<StateStore> | undefined;
    // node-vault is loaded only when Vault state is asked for.
    const one = () =>
      (store ??= Promise.all([import('./vault-address.js'), import('./vault-store.js')]).then(([{ parseVaultSpec }, { VaultStateStore }]) =>
        decorate(new VaultStateStore(parseVaultSpec(spec), { env, planDir: process.cwd(), note: (m) => process.stderr.write(`${printable(m, 2_000)}\n`), authSetting: '`?auth=kubernetes&role=…` or `?auth=approle&…` in the --state URL' }))));
    return { spec, of: one, stores: async () => [await one()] };
  }
  // Loaded on first use: a bare `keyrot history` or `status` stays free of zod.
  const folders = new Map<string, Promise<StateStore>>();
  const at = (dir: string) => {
    if (!folders.has(dir)) folders.set(dir, import('./file-store.js').then(({ FileStateStore }) => decorate(new FileStateStore(dir))));
    return folders.get(dir)!;
  };
  return {
    spec,
    of: (plan) => at(stateDirOf(plan, spec)),
    stores(plans) {
      if (spec) return Promise.all([at(path.resolve(spec))]);
      if (plans.length > 0) return Promise.all([...new Set(plans.map((p) => stateDirOf(p)))].map(at));
      return Promise.all(['.keyrot', path.join('rotation-plans', '.keyrot')].filter((d) => existsSync(d)).map((d) => at(path.resolve(d))));
    },
  };
}
