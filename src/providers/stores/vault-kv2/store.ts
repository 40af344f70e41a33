// A HashiCorp Vault KV v2 secret as a publish target. Consumers read its latest version.
//
// What keyrot keeps in the secret's custom_metadata (never a secret):
//   managed-by=keyrot, keyrot-plan, keyrot-rotated-at,
//   keyrot-key-id + keyrot-version                   which key the version keyrot wrote holds,
//   keyrot-previous-key-id + keyrot-previous-version the key (and version) it replaced.
// custom_metadata is shared by all versions, so it names versions explicitly: that is how read back
// tells keyrot's version from another writer's, and how the retire hooks find the old key's version.
import { KeyrotError } from '../../../errors.js';
import { extractSecret, mentionsSecret, renderTemplate } from '../../../plan/template.js';
import type { Credential, Ownership, ProviderContext, PublishContext, SecretStore, StoreOp } from '../../types.js';
import { login } from './auth.js';
import { connect } from './client.js';
import type { Session } from './errors.js';
import { type SecretVersion, kv2 } from './kv2.js';
import type { VaultKv2StoreConfig } from './schema.js';

const M = {
  managedBy: 'managed-by',
  plan: 'keyrot-plan',
  keyId: 'keyrot-key-id',
  version: 'keyrot-version',
  rotatedAt: 'keyrot-rotated-at',
  previousKeyId: 'keyrot-previous-key-id',
  previousVersion: 'keyrot-previous-version',
} as const;
const MARKER = 'keyrot';

export function createVaultKv2Store(config: VaultKv2StoreConfig, ctx: ProviderContext): SecretStore {
  const conn = connect(config, ctx);
  const label = `vault ${config.mount}/${config.path}${conn.namespace ? ` (namespace ${conn.namespace})` : ''}`;
  let session: Session | undefined;
  const kv = kv2(conn, config.mount, config.path, label, () => session);
  const fields = Object.entries(config.data);
  // The field consumers read the secret from: one that is exactly {{secret}} if there is one.
  const [secretField, secretTemplate] = fields.find(([, t]) => /^\s*\{\{\s*secret\s*\}\}\s*$/.test(t)) ?? fields.find(([, t]) => mentionsSecret(t))!;
  const keyIdField = fields.find(([, t]) => /^\s*\{\{\s*keyId\s*\}\}\s*$/.test(t))?.[0];
  let lastVersion: number | undefined;

  let ready: Promise<void> | undefined;
  const start = () =>
    (ready ??= (async () => {
      session = await login(conn, config.auth, ctx, label);
      await kv.checkMount();
    })().catch((e: unknown) => {
      ready = undefined; // let a later call try again
      throw e;
    }));

  async function current(): Promise<SecretVersion | undefined> {
    await start();
    const found = await kv.read();
    lastVersion = found?.version ?? 0;
    return found;
  }

  function secretOf(version: SecretVersion | undefined): string | undefined {
    const value = version?.data?.[secretField];
    return typeof value === 'string' ? extractSecret(secretTemplate, value) : undefined;
  }

  /** Which key a version holds: from keyrot's record, else from a {{keyId}} field, else "unknown". */
  function keyIdOf(version: SecretVersion): string {
    const { [M.keyId]: keyId, [M.version]: at, [M.previousKeyId]: previousKeyId, [M.previousVersion]: previousAt } = version.customMetadata;
    if (keyId && at === String(version.version)) return keyId;
    if (previousKeyId && previousAt === String(version.version)) return previousKeyId;
    const fromData = keyIdField ? version.data?.[keyIdField] : undefined;
    return typeof fromData === 'string' ? fromData : 'unknown';
  }

  function ownershipOf(version: SecretVersion | undefined): Ownership {
    if (!version) return { state: 'absent' };
    const m = version.customMetadata;
    if (m[M.managedBy] !== MARKER) {
      return { state: 'unmanaged', detail: `${kv.aclPath('data')} exists (version ${version.version}) without custom_metadata ${M.managedBy}=${MARKER}` };
    }
    // Another plan's secret is not ours to overwrite either: two plans would take turns clobbering it.
    if (m[M.plan] && m[M.plan] !== ctx.planName) return { state: 'unmanaged', detail: `it is managed by keyrot plan "${m[M.plan]}"` };
    return { state: 'managed', plan: m[M.plan], keyId: m[M.keyId] };
  }

  /** The versions that hold `keyId`, by keyrot's record. */
  function versionsOf(version: SecretVersion | undefined, keyId: string): number[] {
    const m = version?.customMetadata ?? {};
    if (m[M.keyId] === keyId && m[M.version]) return [Number(m[M.version])];
    // A replaced secret keyrot adopted has no recorded key id: it is the old key whatever its id.
    if (m[M.previousVersion] && (m[M.previousKeyId] ?? keyId) === keyId) return [Number(m[M.previousVersion])];
    return [];
  }

  /** custom_metadata claiming version `next` for the credential, written before the data. */
  function claim(found: SecretVersion | undefined, credential: Credential, next: number, context: PublishContext): Record<string, string> {
    const m: Record<string, string> = { ...found?.customMetadata };
    delete m[M.previousKeyId];
    delete m[M.previousVersion];
    if (found) {
      const holder = keyIdOf(found);
      if (holder !== 'unknown') m[M.previousKeyId] = holder;
      m[M.previousVersion] = String(found.version);
    }
    return {
      ...m,
      [M.managedBy]: MARKER,
      [M.plan]: context.plan,
      [M.keyId]: credential.keyId,
      [M.version]: String(next),
      [M.rotatedAt]: context.rotatedAt.toISOString(),
    };
  }

  const holds = (found: SecretVersion | undefined, credential: Credential) =>
    found?.data !== undefined && secretOf(found) === credential.secret && keyIdOf(found) === credential.keyId;

  return {
    label,

    async ownership() {
      return ownershipOf(await current());
    },

    async publish(credential, context) {
      const data = Object.fromEntries(
        fields.map(([field, template]) => [field, renderTemplate(template, { keyId: credential.keyId, secret: credential.secret, rotatedAt: context.rotatedAt.toISOString() })]),
      );
      const sensitive = [credential.secret, ...Object.values(data).filter((value) => value.includes(credential.secret))];
      for (let attempt = 1; ; attempt++) {
        const found = await current();
        const owner = ownershipOf(found);
        if (owner.state === 'unmanaged' && !config.adopt) throw new KeyrotError('store-unmanaged', { store: label, detail: owner.detail });
        if (holds(found, credential)) return; // already published: change nothing
        const cas = found?.version ?? 0;
        // Claim first: if keyrot dies after the data write, the record already says which key that version holds.
        await kv.setCustomMetadata(claim(found, credential, cas + 1, context));
        const written = await kv.write(data, cas, sensitive);
        if (written !== 'cas-mismatch') {
          lastVersion = written;
          return;
        }
        // Someone wrote between our read and our write. Never overwrite their value blindly.
        const now = await kv.read();
        if (now && secretOf(now) === credential.secret) {
          // Our own earlier write (a retried request): record it properly and stop.
          await kv.setCustomMetadata(claim(found, credential, now.version, context));
          return;
        }
        await kv.setCustomMetadata(found?.customMetadata ?? {});
        // Retry once, only if the other writer left the content as it was (a sync job rewriting it).
        if (attempt >= 2 || !sameData(now?.data, found?.data)) {
          throw new KeyrotError('store-conflict', { store: `${label} (version ${found?.version ?? 0} became ${now?.version ?? 'deleted'})` });
        }
      }
    },

    async readBack() {
      const found = await current();
      const secret = secretOf(found);
      return found && secret !== undefined ? { keyId: keyIdOf(found), secret } : undefined;
    },

    // Soft-delete: `?version=N` stops returning the old key (for generated keys, that is what revokes
    // it), and undelete brings it back for a rollback. Consumers of the latest version see no change.
    async onDeactivate(oldKeyId) {
      await kv.changeVersions('delete', versionsOf(await current(), oldKeyId));
    },

    async onReactivate(oldKeyId) {
      await kv.changeVersions('undelete', versionsOf(await current(), oldKeyId));
    },

    async onDelete(oldKeyId) {
      await kv.changeVersions(config.destroyOldVersions ? 'destroy' : 'delete', versionsOf(await current(), oldKeyId));
    },

    explain(op: StoreOp) {
      const at = (kind: Parameters<typeof kv.aclPath>[0]) => `/v1/${kv.aclPath(kind)}`;
      const calls: Record<StoreOp, string> = {
        ownership: `GET ${at('data')} (custom_metadata ${M.managedBy})`,
        publish: `POST ${at('metadata')} (custom_metadata), POST ${at('data')} (cas=${lastVersion ?? 'current version'})`,
        readBack: `GET ${at('data')}`,
        onDeactivate: `POST ${at('delete')} (soft-delete the old key's version)`,
        onReactivate: `POST ${at('undelete')} (restore the old key's version)`,
        onDelete: config.destroyOldVersions
          ? `POST ${at('destroy')} (destroy the old key's version)`
          : `POST ${at('delete')} (destroyOldVersions: false, the old key's version stays soft-deleted)`,
      };
      return `vault: ${calls[op]}${conn.namespace ? ` in namespace ${conn.namespace}` : ''}`;
    },
  };
}

function sameData(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const canonical = (d: Record<string, unknown> | undefined) => (d ? JSON.stringify(Object.entries(d).sort(([x], [y]) => x.localeCompare(y))) : '');
  return canonical(a) === canonical(b);
}
