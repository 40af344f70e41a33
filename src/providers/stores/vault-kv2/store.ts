// A HashiCorp Vault KV v2 secret as a publish target. Consumers read its latest version.
//
// What keyrot keeps in the secret's custom_metadata (never a secret), record.ts:
//   managed-by=keyrot, keyrot-plan, keyrot-rotated-at,
//   keyrot-key-id + keyrot-version   the key keyrot last published, and the version it claimed for it,
//   keyrot-v<N> = "<key id> <fingerprint>"   one per version keyrot wrote: the key that version holds;
//                 "(adopted) <fingerprint>" for the value an `adopt: true` target held when keyrot took it over.
// The retire hooks (retire.ts) touch only versions recorded there whose content still has the
// recorded fingerprint: a version another writer wrote is never deleted or destroyed.
import { KeyrotError } from '../../../errors.js';
import { renderTemplate } from '../../../shared/template.js';
import type { Credential, ProviderContext, SecretStore, StoreOp } from '../../types.js';
import { sharedVault } from '../../../vault/shared.js';
import type { Session } from '../../../vault/errors.js';
import { type Kv2, type SecretVersion, kv2 } from '../../../vault/kv2.js';
import type { VaultKv2StoreConfig } from './schema.js';
import { vaultDoctor } from './doctor.js';
import { contentReader, sameData } from './content.js';
import { M, claim, ownershipOf } from './record.js';
import { retireVersions, type RetireAction } from './retire.js';

export function createVaultKv2Store(config: VaultKv2StoreConfig, ctx: ProviderContext): SecretStore {
  // Targets on the same Vault with the same login share one connection, one login and one mount check.
  const vault = sharedVault(config, config.auth, ctx, `vault-kv2 target ${config.mount}/${config.path}`);
  const { conn } = vault;
  const label = `vault ${config.mount}/${config.path}${conn.namespace ? ` (namespace ${conn.namespace})` : ''}`;
  let session: Session | undefined;
  const kv = kv2(conn, config.mount, config.path, label, () => session);
  const fields = Object.entries(config.data);
  const { secretOf, contentPrint, keyIdOf } = contentReader(config.data);
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

  const ownership = (found: SecretVersion | undefined) => ownershipOf(found, ctx.planName, kv.aclPath('data'));
  const retire = async (action: RetireAction, oldKeyId: string, finished: boolean) => retireVersions(kv, await current(), contentPrint, action, oldKeyId, finished);
  const holds = (found: SecretVersion | undefined, credential: Credential) =>
    found?.data !== undefined && secretOf(found) === credential.secret && keyIdOf(found) === credential.keyId;

  return {
    label,

    async ownership() {
      return ownership(await current());
    },

    async publish(credential, context) {
      const data = Object.fromEntries(
        fields.map(([field, template]) => [field, renderTemplate(template, { keyId: credential.keyId, secret: credential.secret, rotatedAt: context.rotatedAt.toISOString() })]),
      );
      const sensitive = [credential.secret, ...Object.values(data).filter((value) => value.includes(credential.secret))];
      for (let attempt = 1; ; attempt++) {
        const found = await current();
        const owner = ownership(found);
        const adopting = owner.state === 'unmanaged';
        if (adopting && !config.adopt) throw new KeyrotError('store-unmanaged', { store: label, detail: owner.detail });
        if (holds(found, credential)) return; // already published: change nothing
        const cas = found?.version ?? 0;
        // Claim first: if keyrot dies after the data write, the record already says which key that version holds.
        await kv.setCustomMetadata(claim(found, credential, cas + 1, context, adopting && found ? contentPrint(found) : undefined));
        const written = await kv.write(data, cas, sensitive);
        if (written !== 'cas-mismatch') {
          lastVersion = written;
          return;
        }
        // Someone wrote between our read and our write. Never overwrite their value blindly.
        const now = await kv.read();
        if (now && secretOf(now) === credential.secret) {
          // Our own earlier write (a retried request): record it properly and stop.
          await kv.setCustomMetadata(claim(found, credential, now.version, context, adopting && found ? contentPrint(found) : undefined));
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
    explain: (op: StoreOp) => explainCall(op, kv, config, conn.namespace, lastVersion),


    doctor: vaultDoctor({
      conn, label, mount: config.mount, path: config.path, destroyOldVersions: config.destroyOldVersions,
      start: async () => (await start(), { source: session!.source }),
      ownership: async () => ownership(await current()),
    }),
  };
}

/** The Vault call behind each step, for `keyrot plan`. */
function explainCall(op: StoreOp, kv: Kv2, config: VaultKv2StoreConfig, namespace: string | undefined, lastVersion: number | undefined): string {
  const at = (kind: Parameters<Kv2['aclPath']>[0]) => `/v1/${kv.aclPath(kind)}`;
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
  return `vault: ${calls[op]}${namespace ? ` in namespace ${namespace}` : ''}`;
}
