// An Azure Key Vault secret as a publish target. Consumers read its latest version.
//
// Every publish writes a new version, tagged (tags are per version in Key Vault, never secret):
//   managed-by=keyrot, keyrot-plan, keyrot-key-id   which key this version holds,
//   keyrot-replaces                                  the version it replaced, when that one was not
//                                                    keyrot's (adopted): it holds the old key, id unknown.
// Retiring the old key disables its version(s): Key Vault then refuses to return the value to anyone
// until it is enabled again (rollback). Key Vault cannot delete one version, only the whole secret, so
// on delete the old version stays disabled: that is where the old secret remains (see schema.ts).
import { KeyrotError } from '../../../errors.js';
import { formatDuration } from '../../../shared/duration.js';
import { extractSecret, renderTemplate } from '../../../shared/template.js';
import type { Credential, Ownership, ProviderContext, RetireResult, SecretStore, StoreOp } from '../../types.js';
import { type Seam, type Version, connect } from './client.js';
import { softDeleted } from './errors.js';
import type { AzureKeyVaultStoreConfig } from './schema.js';
import { azureKeyVaultDoctor } from './doctor.js';

const T = { managedBy: 'managed-by', plan: 'keyrot-plan', keyId: 'keyrot-key-id', replaces: 'keyrot-replaces' } as const;
const MARKER = 'keyrot';

export function createAzureKeyVaultStore(config: AzureKeyVaultStoreConfig, ctx: ProviderContext, seam?: Seam): SecretStore {
  const host = new URL(config.vaultUrl).host;
  const label = `azure-keyvault ${host}/${config.name}`;
  const kv = connect(config, ctx, label, seam);

  function ownershipOf(version: Version | undefined): Ownership {
    if (!version) return { state: 'absent' };
    const tags = version.tags;
    if (tags[T.managedBy] !== MARKER) {
      return { state: 'unmanaged', detail: `its latest version ${version.id} has no tag ${T.managedBy}=${MARKER}` };
    }
    // Another plan's secret is not ours either: two plans would take turns overwriting it.
    if (tags[T.plan] && tags[T.plan] !== ctx.planName) return { state: 'unmanaged', detail: `it is managed by keyrot plan "${tags[T.plan]}"` };
    return { state: 'managed', plan: tags[T.plan], keyId: tags[T.keyId] };
  }

  const secretOf = (version: Version | undefined): string | undefined =>
    version?.enabled && version.value !== undefined ? extractSecret(config.value, version.value) : undefined;

  /**
   * The versions holding `keyId`: keyrot's tag, else the adopted version keyrot replaced (it held the old
   * key). Found by tags only, never by position: Key Vault lists versions by id, not by time. When more
   * than one version holds the key (a publish that was repeated), the tie is no choice: all of them are
   * retired or restored together.
   */
  async function holding(keyId: string): Promise<Version[]> {
    const all = await kv.versions();
    const tagged = all.filter((v) => v.tags[T.keyId] === keyId);
    if (tagged.length > 0) return tagged;
    const replaced = new Set(all.map((v) => v.tags[T.replaces]).filter(Boolean));
    return all.filter((v) => replaced.has(v.id) && v.tags[T.keyId] === undefined);
  }

  async function setEnabled(keyId: string, enabled: boolean): Promise<RetireResult> {
    const change = (await holding(keyId)).filter((version) => version.enabled !== enabled);
    for (const version of change) await kv.setEnabled(version.id, enabled);
    return change.length ? 'changed' : 'unchanged';
  }

  return {
    label,

    async ownership() {
      const latest = await kv.latest();
      if (!latest && (await kv.isSoftDeleted())) throw softDeleted(label, config.vaultUrl, config.name);
      return ownershipOf(latest);
    },

    async publish(credential: Credential, context) {
      const latest = await kv.latest();
      const owner = ownershipOf(latest);
      if (owner.state === 'unmanaged' && !config.adopt) throw new KeyrotError('store-unmanaged', { store: label, detail: owner.detail });
      if (latest?.tags[T.keyId] === credential.keyId && secretOf(latest) === credential.secret) return; // already published

      const values = { keyId: credential.keyId, secret: credential.secret, rotatedAt: context.rotatedAt.toISOString() };
      const value = renderTemplate(config.value, values);
      const tags: Record<string, string> = {
        ...Object.fromEntries(Object.entries(config.tags).map(([k, t]) => [k, renderTemplate(t, values)])),
        [T.managedBy]: MARKER,
        [T.plan]: context.plan,
        [T.keyId]: credential.keyId,
        ...(latest && latest.tags[T.keyId] === undefined ? { [T.replaces]: latest.id } : {}),
      };
      await kv.set(
        value,
        {
          tags,
          ...(config.contentType ? { contentType: config.contentType } : {}),
          ...(config.expiresIn ? { expiresOn: new Date(context.rotatedAt.getTime() + config.expiresIn) } : {}),
        },
        [credential.secret, value],
      );
    },

    // The latest version is what consumers read; its tags and value come from that one version.
    async readBack() {
      const latest = await kv.latest();
      const secret = secretOf(latest);
      return latest && secret !== undefined ? { keyId: latest.tags[T.keyId] ?? 'unknown', secret } : undefined;
    },

    onDeactivate: (oldKeyId) => setEnabled(oldKeyId, false),
    onReactivate: (oldKeyId) => setEnabled(oldKeyId, true),
    // Key Vault keeps every version: the old one stays disabled (made sure of again here).
    onDelete: (oldKeyId) => setEnabled(oldKeyId, false),

    explain: (op: StoreOp) => explainCall(op, config),

    doctor() {
      return azureKeyVaultDoctor(config.vaultUrl, () => this.ownership())();
    },
  };
}

/** The Key Vault call behind each step, for `keyrot plan`. */
function explainCall(op: StoreOp, config: AzureKeyVaultStoreConfig): string {
  const at = `${config.vaultUrl.replace(/\/+$/, '')}/secrets/${config.name}`;
  const calls: Record<StoreOp, string> = {
    ownership: `GET ${at} (tag ${T.managedBy})`,
    publish: `PUT ${at} (new version tagged ${T.keyId}${config.expiresIn ? `, expires ${formatDuration(config.expiresIn)} after the rotation` : ''})`,
    readBack: `GET ${at} (latest version)`,
    onDeactivate: `PATCH ${at}/<old version> (enabled: false)`,
    onReactivate: `PATCH ${at}/<old version> (enabled: true)`,
    onDelete: `PATCH ${at}/<old version> (stays disabled: Key Vault cannot delete one version)`,
  };
  return `azure-keyvault: ${calls[op]}`;
}
