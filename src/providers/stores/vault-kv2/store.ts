// A HashiCorp Vault KV v2 secret as a publish target. Consumers read its latest version.
//
// What keyrot keeps in the secret's custom_metadata (never a secret):
//   managed-by=keyrot, keyrot-plan, keyrot-rotated-at,
//   keyrot-key-id + keyrot-version   the key keyrot last published, and the version it claimed for it,
//   keyrot-v<N> = "<key id> <fingerprint>"   one per version keyrot wrote: the key that version holds;
//                 "(adopted) <fingerprint>" for the value an `adopt: true` target held when keyrot took it over.
// custom_metadata is shared by all versions, so versions are named explicitly. The retire hooks touch
// only versions recorded there whose content still has the recorded fingerprint: a version another
// writer wrote (say after a check-and-set conflict) is never deleted or destroyed.
import { KeyrotError } from '../../../errors.js';
import { extractSecret, mentionsSecret, renderTemplate } from '../../../shared/template.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import type { Credential, Ownership, ProviderContext, PublishContext, RetireResult, SecretStore, StoreOp } from '../../types.js';
import { sharedVault } from '../../../vault/shared.js';
import type { Session } from '../../../vault/errors.js';
import { type SecretVersion, kv2 } from '../../../vault/kv2.js';
import type { VaultKv2StoreConfig } from './schema.js';
import { vaultDoctor } from './doctor.js';

const M = {
  managedBy: 'managed-by',
  plan: 'keyrot-plan',
  keyId: 'keyrot-key-id',
  version: 'keyrot-version',
  rotatedAt: 'keyrot-rotated-at',
  // Written before keyrot-v<N> existed; read once, to migrate.
  previousKeyId: 'keyrot-previous-key-id',
  previousVersion: 'keyrot-previous-version',
} as const;
const MARKER = 'keyrot';
const HELD = /^keyrot-v(\d+)$/;
/** The holder recorded for an adopted value: retired with whichever old key is retired next. */
const ADOPTED = '(adopted)';

/** A version keyrot wrote (or adopted), and what it holds. No fingerprint: recorded by an older keyrot. */
interface Held {
  version: number;
  keyId: string;
  fingerprint?: string;
}

function heldIn(custom: Record<string, string>): Held[] {
  const held = Object.entries(custom).flatMap(([name, value]) => {
    const n = HELD.exec(name)?.[1];
    const [keyId, print] = value.split(' ');
    return n && keyId ? [{ version: Number(n), keyId, ...(print ? { fingerprint: print } : {}) }] : [];
  });
  if (held.length > 0) return held;
  // An older keyrot's record: the key it last wrote, and the one that replaced (when it knew its id).
  const legacy = [[custom[M.keyId], custom[M.version]], [custom[M.previousKeyId], custom[M.previousVersion]]];
  return legacy.flatMap(([keyId, n]) => (keyId && Number(n) > 0 ? [{ version: Number(n), keyId }] : []));
}

const heldName = (version: number) => `keyrot-v${version}`;

/** custom_metadata with its record replaced by `held` (which also migrates an older keyrot's record). */
function withRecord(custom: Record<string, string>, held: Held[]): Record<string, string> {
  const m = Object.fromEntries(Object.entries(custom).filter(([name]) => !HELD.test(name) && name !== M.previousKeyId && name !== M.previousVersion));
  for (const h of held) m[heldName(h.version)] = h.fingerprint ? `${h.keyId} ${h.fingerprint}` : h.keyId;
  return m;
}

export function createVaultKv2Store(config: VaultKv2StoreConfig, ctx: ProviderContext): SecretStore {
  // Targets on the same Vault with the same login share one connection, one login and one mount check.
  const vault = sharedVault(config, config.auth, ctx, `vault-kv2 target ${config.mount}/${config.path}`);
  const { conn } = vault;
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
      session = await vault.session(label);
      await vault.mountChecked(config.mount, () => kv.checkMount());
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

  /** What identifies a version's content: the secret's fingerprint, or the whole data's for a value without that field. */
  const contentPrint = (version: SecretVersion): string | undefined =>
    version.data === undefined ? undefined : fingerprint(secretOf(version) ?? canonical(version.data));

  /** Which key a version holds: keyrot's record if the content matches it, else a {{keyId}} field, else "unknown". */
  function keyIdOf(version: SecretVersion): string {
    const held = heldIn(version.customMetadata).find((h) => h.version === version.version);
    if (held && held.keyId !== ADOPTED && (!held.fingerprint || held.fingerprint === contentPrint(version))) return held.keyId;
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

  /**
   * custom_metadata claiming version `next` for the credential, written before the data (so a version
   * written by a run that then died is still known). Adopting, the value found is recorded too.
   */
  function claim(found: SecretVersion | undefined, credential: Credential, next: number, context: PublishContext, adopting: boolean): Record<string, string> {
    const m = withRecord(found?.customMetadata ?? {}, heldIn(found?.customMetadata ?? {}));
    const print = found && adopting ? contentPrint(found) : undefined;
    if (print) m[heldName(found!.version)] = `${ADOPTED} ${print}`;
    return {
      ...m,
      [M.managedBy]: MARKER,
      [M.plan]: context.plan,
      [M.keyId]: credential.keyId,
      [M.version]: String(next),
      [M.rotatedAt]: context.rotatedAt.toISOString(),
      [heldName(next)]: `${credential.keyId} ${fingerprint(credential.secret)}`,
    };
  }

  /**
   * Delete, undelete or destroy the versions that hold `oldKeyId` (and an adopted value), by keyrot's
   * record, checking each readable one still has the content recorded for it. Versions that are gone,
   * or that hold something else, are dropped from the record and never touched.
   */
  async function retire(action: 'delete' | 'undelete' | 'destroy', oldKeyId: string, finished: boolean): Promise<RetireResult> {
    const latest = await current();
    if (!latest) return 'unchanged';
    const record = heldIn(latest.customMetadata);
    const held = record.filter((h) => h.keyId === oldKeyId || h.keyId === ADOPTED);
    const change: number[] = [];
    const forget: number[] = [];
    for (const h of held) {
      const version = h.version === latest.version ? latest : await kv.read(h.version);
      if (!version || version.destroyed) forget.push(h.version);
      else if (version.data === undefined) {
        if (action !== 'delete') change.push(h.version); // soft-deleted by keyrot's deactivate: restore or destroy it
      } else if (h.fingerprint && h.fingerprint !== contentPrint(version)) forget.push(h.version); // not what keyrot wrote there
      else if (action !== 'undelete') change.push(h.version);
    }
    await kv.changeVersions(action, change);
    // Once the old key is deleted, its versions are done with: keep the record small.
    const dropped = new Set(finished ? held.map((h) => h.version) : forget);
    if (dropped.size > 0) await kv.setCustomMetadata(withRecord(latest.customMetadata, record.filter((h) => !dropped.has(h.version))));
    return change.length ? 'changed' : 'unchanged'; // a destroy that matched no version did nothing
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
        const adopting = owner.state === 'unmanaged';
        if (adopting && !config.adopt) throw new KeyrotError('store-unmanaged', { store: label, detail: owner.detail });
        if (holds(found, credential)) return; // already published: change nothing
        const cas = found?.version ?? 0;
        // Claim first: if keyrot dies after the data write, the record already says which key that version holds.
        await kv.setCustomMetadata(claim(found, credential, cas + 1, context, adopting));
        const written = await kv.write(data, cas, sensitive);
        if (written !== 'cas-mismatch') {
          lastVersion = written;
          return;
        }
        // Someone wrote between our read and our write. Never overwrite their value blindly.
        const now = await kv.read();
        if (now && secretOf(now) === credential.secret) {
          // Our own earlier write (a retried request): record it properly and stop.
          await kv.setCustomMetadata(claim(found, credential, now.version, context, adopting));
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
    onDeactivate: (oldKeyId) => retire('delete', oldKeyId, false),
    onReactivate: (oldKeyId) => retire('undelete', oldKeyId, false),
    onDelete: (oldKeyId) => retire(config.destroyOldVersions ? 'destroy' : 'delete', oldKeyId, true),

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

    doctor: vaultDoctor({
      conn, label, mount: config.mount, path: config.path, destroyOldVersions: config.destroyOldVersions,
      start: async () => (await start(), { source: session!.source }),
      ownership: async () => ownershipOf(await current()),
    }),
  };
}

const canonical = (d: Record<string, unknown> | undefined): string => (d ? JSON.stringify(Object.entries(d).sort(([x], [y]) => x.localeCompare(y))) : '');

const sameData = (a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean => canonical(a) === canonical(b);
