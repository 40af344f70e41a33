// One connection and one login per Vault server and login method within a run, shared by every
// vault-kv2 target that names the same ones: 1000 plans publishing to one Vault log in once (one token
// lookup, or one AppRole or Kubernetes login: not a new Vault token per plan), check each mount once,
// and reuse the same keep-alive sockets.
import path from 'node:path';
import { login } from './auth.js';
import { type Connection, connect } from './client.js';
import type { Session } from './errors.js';
import type { VaultAuth, VaultConnectionConfig, VaultContext } from './schema.js';

export interface SharedVault {
  conn: Connection;
  /** Logged in (once for every sharer; again after a failed attempt). `label` names the caller in a login error. */
  session(label: string): Promise<Session>;
  /** `check` (a KV v2 mount check) run once per mount for every sharer; again after a failure. */
  mountChecked(mount: string, check: () => Promise<void>): Promise<void>;
}

interface Entry {
  conn: Connection;
  session?: Promise<Session>;
  mounts: Map<string, Promise<void>>;
}

// Keyed by the environment object too: callers with their own environment (tests, embedders) share nothing.
const shared = new WeakMap<NodeJS.ProcessEnv, Map<string, Entry>>();

/** What makes two connections the same: every setting, with file names resolved where they are read. */
function keyOf(config: VaultConnectionConfig, auth: VaultAuth, ctx: VaultContext): string {
  const file = (f: string | undefined) => (f === undefined ? undefined : path.resolve(ctx.planDir, f));
  const resolvedAuth =
    auth.method === 'approle' ? { ...auth, roleIdFile: file(auth.roleIdFile), secretIdFile: file(auth.secretIdFile) }
    : auth.method === 'kubernetes' ? { ...auth, jwtFile: file(auth.jwtFile) }
    : auth;
  return JSON.stringify({
    address: (config.address ?? ctx.env.VAULT_ADDR)?.replace(/\/+$/, ''),
    namespace: config.namespace ?? (ctx.env.VAULT_NAMESPACE || undefined),
    caFile: file(config.tls?.caFile) ?? (ctx.env.VAULT_CACERT || undefined),
    skipVerify: config.tls?.skipVerify === true,
    timeout: config.timeout,
    auth: resolvedAuth,
  });
}

/** The connection for these settings, made (with connect's checks and notes) by the first caller. */
export function sharedVault(config: VaultConnectionConfig, auth: VaultAuth, ctx: VaultContext, what: string): SharedVault {
  let entries = shared.get(ctx.env);
  if (!entries) shared.set(ctx.env, (entries = new Map()));
  const key = keyOf(config, auth, ctx);
  let entry = entries.get(key);
  if (!entry) entries.set(key, (entry = { conn: connect(config, ctx, what), mounts: new Map() }));
  const e = entry;

  const session = async (label: string): Promise<Session> => {
    const pending = e.session;
    if (pending) {
      // Another sharer's login failed: log in again, so the error names this caller.
      return pending.catch(() => session(label));
    }
    const mine = login(e.conn, auth, ctx, label);
    e.session = mine;
    mine.catch(() => {
      if (e.session === mine) e.session = undefined;
    });
    return mine;
  };

  const mountChecked = (mount: string, check: () => Promise<void>): Promise<void> => {
    let checked = e.mounts.get(mount);
    if (!checked) {
      checked = check();
      e.mounts.set(mount, checked);
      checked.catch(() => e.mounts.delete(mount));
    }
    return checked;
  };

  return { conn: e.conn, session, mountChecked };
}
