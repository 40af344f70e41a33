// A thin KV version 2 layer over node-vault's generic read/write (0.12 has no KV v2 helpers).
// Every call names the ACL path and capability it needs, so a refusal says what to grant.
import { KeyrotError } from '../errors.js';
import type { Connection } from './client.js';
import { looksUpSelf } from './auth.js';
import { checkKv2Mount } from './mount.js';
import { type Call, type Session, isCasMismatch, isInvalidToken, tokenGone, toKeyrotError, vaultBody, vaultErrors, vaultStatus } from './errors.js';

export interface SecretVersion {
  /** The version this answer describes (the latest unless one was asked for). */
  version: number;
  /** Absent when that version is deleted or destroyed. */
  data?: Record<string, unknown>;
  /** Soft-deleted (undelete brings it back) or destroyed (gone for good). */
  deleted: boolean;
  destroyed: boolean;
  /** The secret's custom_metadata (shared by all versions; OpenBao answers null after `{}`). */
  customMetadata: Record<string, string>;
}

type Kind = 'data' | 'metadata' | 'delete' | 'undelete' | 'destroy';

interface VersionMetadata {
  version?: number;
  custom_metadata?: Record<string, string> | null;
  deletion_time?: string;
  destroyed?: boolean;
}

export interface Kv2 {
  /** "secret/data/payments/aws": the path as policies name it. */
  aclPath(kind: Kind): string;
  /** The latest version, or the one asked for; undefined when there is no such version. */
  read(version?: number): Promise<SecretVersion | undefined>;
  /** Write a new version if the current one is still `cas`; returns the new version number. */
  write(data: Record<string, string>, cas: number, sensitive: string[]): Promise<number | 'cas-mismatch'>;
  /** Replace the custom_metadata; with `maxVersions`, also keep at most that many versions (older ones go at the next write). */
  setCustomMetadata(custom: Record<string, string>, maxVersions?: number): Promise<void>;
  changeVersions(action: 'delete' | 'undelete' | 'destroy', versions: number[]): Promise<void>;
  /** Fail early, and clearly, when the mount is missing or is not KV v2. */
  checkMount(): Promise<void>;
}

export function kv2(conn: Connection, mount: string, secretPath: string, provider: string, session: () => Session | undefined): Kv2 {
  const { client } = conn;
  const encoded = secretPath.split('/').map(encodeURIComponent).join('/');
  const url = (kind: Kind) => `${mount}/${kind}/${encoded}`;
  const aclPath = (kind: Kind) => `${mount}/${kind}/${secretPath}`;
  const call = (operation: string, kind: Kind | 'sys', capability: string, sensitive?: string[]): Call => ({
    provider, address: conn.address, mount, operation, capability, sensitive, timeoutMs: conn.timeoutMs, session: session(),
    path: kind === 'sys' ? `sys/internal/ui/mounts/${mount}/${secretPath}` : aclPath(kind),
  });

  const described = (m: VersionMetadata, data?: Record<string, unknown>): SecretVersion => ({
    version: m.version ?? 0, data, deleted: Boolean(m.deletion_time), destroyed: m.destroyed === true, customMetadata: m.custom_metadata ?? {},
  });

  /**
   * The KeyrotError for a failed call. A bare 403 is also what an expired or revoked token gets (no
   * "invalid token" text from OpenBao): if the token could look itself up after login and no longer
   * can, say so instead of naming a policy to change.
   */
  async function failure(e: unknown, c: Call): Promise<KeyrotError> {
    if (vaultStatus(e) === 403 && !isInvalidToken(e) && c.session?.selfLookup && !(await looksUpSelf(conn, provider).catch(() => true))) {
      return tokenGone(provider, c.session);
    }
    return toKeyrotError(e, c);
  }

  return {
    aclPath,

    async read(version) {
      try {
        const body = (await client.read(`${url('data')}${version ? `?version=${version}` : ''}`)) as { data: { data: Record<string, unknown>; metadata: VersionMetadata } };
        return described(body.data.metadata, body.data.data);
      } catch (e) {
        if (vaultStatus(e) === 404 && vaultErrors(e).length === 0) {
          // A deleted or destroyed version answers 404 with its metadata; a missing secret or version without.
          const metadata = (vaultBody(e) as { data?: { metadata?: VersionMetadata } } | undefined)?.data?.metadata;
          return metadata?.version ? described(metadata) : undefined;
        }
        throw await failure(e, call(version ? `read version ${version} of the secret` : 'read the secret', 'data', 'read'));
      }
    },

    async write(data, cas, sensitive) {
      try {
        const body = (await client.write(url('data'), { data, options: { cas } })) as { data?: { version?: unknown } } | '';
        const version = body ? body.data?.version : undefined;
        if (typeof version !== 'number') {
          throw new KeyrotError('vault-mount-missing', { address: conn.address, mount, reason: 'the write was not answered like KV version 2' });
        }
        return version;
      } catch (e) {
        if (isCasMismatch(e)) return 'cas-mismatch';
        throw await failure(e, call('write the secret', 'data', 'create/update', sensitive));
      }
    },

    async setCustomMetadata(custom, maxVersions) {
      try {
        // A metadata write keeps the settings it leaves out (OpenBao 2.7: max_versions, custom_metadata).
        await client.write(url('metadata'), { custom_metadata: custom, ...(maxVersions === undefined ? {} : { max_versions: maxVersions }) });
      } catch (e) {
        throw await failure(e, call('mark the secret in custom_metadata', 'metadata', 'create/update'));
      }
    },

    async changeVersions(action, versions) {
      if (versions.length === 0) return;
      try {
        await client.write(url(action), { versions });
      } catch (e) {
        throw await failure(e, call(`${action} version(s) ${versions.join(', ')}`, action, 'update'));
      }
    },

    checkMount: () => checkKv2Mount(conn, mount, encoded, () => call('look up the mount', 'sys', 'read')),
  };
}

/** The names directly under `folder` (sub-folders end in "/"); [] when there is nothing there. */
export async function listKv2(conn: Connection, mount: string, folder: string, provider: string, session: () => Session | undefined): Promise<string[]> {
  const encoded = folder.split('/').map(encodeURIComponent).join('/');
  try {
    // GET with ?list=true, which Vault documents as the same as the LIST method: HTTP proxies and
    // libraries that know only the standard methods pass it (a LIST through Node's HTTP server is a 400).
    const body = (await conn.client.read(`${mount}/metadata/${encoded}?list=true`)) as { data?: { keys?: unknown } };
    const keys = body?.data?.keys;
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  } catch (e) {
    if (vaultStatus(e) === 404) return [];
    throw toKeyrotError(e, {
      provider, address: conn.address, mount, operation: `list ${folder}/`, path: `${mount}/metadata/${folder}`, capability: 'list', timeoutMs: conn.timeoutMs, session: session(),
    });
  }
}

/** What OpenBao's detailed-metadata listing tells of one secret: its current version, and its custom_metadata. */
export interface ListedSecret {
  currentVersion: number;
  /** The current version is deleted or destroyed (its data reads as none). */
  gone: boolean;
  customMetadata: Record<string, string>;
}

/**
 * One page of OpenBao's detailed-metadata listing of `folder` (`LIST <mount>/detailed-metadata/…`,
 * paged with `after` and `limit`): the metadata of up to `limit` secrets in one request. Undefined
 * where the server has no such listing (HashiCorp Vault) or the token may not use it: the caller
 * reads the secrets one by one instead. A folder with nothing in it is an empty page.
 */
export async function listDetailedPage(conn: Connection, mount: string, folder: string, after: string, limit: number): Promise<Map<string, ListedSecret> | undefined> {
  const encoded = folder.split('/').map(encodeURIComponent).join('/');
  let body: { data?: { keys?: unknown; key_info?: Record<string, { current_version?: number; custom_metadata?: Record<string, string> | null; versions?: Record<string, VersionMetadata> }> } };
  try {
    body = (await conn.client.read(`${mount}/detailed-metadata/${encoded}?list=true&limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`)) as typeof body;
  } catch (e) {
    // 404 with errors: no such path here (Vault); 404 without: nothing listed; 403: not granted; 405: not a listing.
    if (vaultStatus(e) === 404 && vaultErrors(e).length === 0) return new Map();
    return undefined;
  }
  const page = new Map<string, ListedSecret>();
  for (const [name, info] of Object.entries(body?.data?.key_info ?? {})) {
    const current = info.current_version ?? 0;
    const version = info.versions?.[String(current)];
    page.set(name, { currentVersion: current, gone: Boolean(version?.deletion_time) || version?.destroyed === true, customMetadata: info.custom_metadata ?? {} });
  }
  return page;
}
