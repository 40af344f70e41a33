// An AWS Secrets Manager secret as a publish target. Consumers read AWSCURRENT; during the overlap
// AWSPREVIOUS holds the old key, as after any Secrets Manager rotation.
//
// Each publish is PutSecretValue with a ClientRequestToken derived from the rotation id and key id, so a
// resumed publish can never add a second version. Secrets Manager itself moves AWSPREVIOUS to the
// version AWSCURRENT leaves. What keyrot keeps in the secret's tags (never a secret), ../aws-tags.ts:
//   managed-by=keyrot, keyrot-plan, keyrot-rotated-at,
//   keyrot-key-id + keyrot-version                   the key in the version keyrot wrote,
//   keyrot-previous-key-id + keyrot-previous-version the key (and version) it replaced ("" = adopted, id unknown).
//
// Retiring the old key: on deactivate its version loses AWSPREVIOUS (consumers that accept the previous
// key stop accepting it) and gets the label keyrot-retired, which keeps it for a rollback (a version with
// no label is deprecated and Secrets Manager may remove it). On delete it loses every keyrot label:
// Secrets Manager has no call to delete one version, so it stays, unreachable by any label and
// readable only by its version id, until Secrets Manager removes deprecated versions itself.
import { createHash } from 'node:crypto';
import { KeyrotError } from '../../../errors.js';
import type { ProviderContext, SecretStore, StoreOp } from '../../types.js';
import { secretValue } from '../secret-value.js';
import { type Described, type SecretValue, secretsManagerApi } from './client.js';
import type { AwsSecretsManagerStoreConfig } from './schema.js';
import { T, claimTags } from '../aws-tags.js';
import { keyIdOf as keyIdOfTags, ownershipOf as ownershipOfTags, versionOf } from './tags.js';

type SecretsManagerApi = ReturnType<typeof secretsManagerApi>;

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const RETIRED = 'keyrot-retired';

/** The version id for a key published by a rotation: the same on every retry and resume. */
export function versionToken(rotationId: string, keyId: string): string {
  const h = createHash('sha256').update(`keyrot:${rotationId}:${keyId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const holderOf = (d: Described, stage: string) => Object.keys(d.stages).find((id) => d.stages[id]!.includes(stage));

/** The old key's version, unless it is still what consumers read (then only a new publish retires it). */
async function retiringVersion(api: SecretsManagerApi, keyId: string, note: (text: string) => void): Promise<{ d: Described; id: string; stages: string[] } | undefined> {
  const d = await api.describe();
  const id = d ? versionOf(d, keyId) : undefined;
  if (!d || !id) return undefined;
  const stages = d.stages[id] ?? [];
  if (stages.includes(CURRENT)) {
    note(`key ${keyId} is still AWSCURRENT; it stops being served when a new key is published there`);
    return undefined;
  }
  return { d, id, stages };
}

export function createAwsSecretsManagerStore(config: AwsSecretsManagerStoreConfig, ctx: ProviderContext): SecretStore {
  const label = `aws-secrets-manager ${config.secretId} (${config.region})`;
  const api = secretsManagerApi(config, label);
  const shape = secretValue(config);
  const secretOf = (value: SecretValue | undefined): string | undefined => shape.secretOf(value?.text);
  const keyIdOf = (d: Described, value: SecretValue) => keyIdOfTags(shape, d, value);
  const ownershipOf = (d: Described | undefined) => ownershipOfTags(d, ctx.planName, { label, secretId: config.secretId, region: config.region });

  const retiring = (keyId: string) => retiringVersion(api, keyId, (text) => ctx.note(`${label}: ${text}`));

  return {
    label,

    async ownership() {
      return ownershipOf(await api.describe());
    },

    async publish(credential, context) {
      const text = shape.render(credential, context.rotatedAt);
      const sensitive = [credential.secret, text];
      const token = versionToken(context.rotationId, credential.keyId);
      const claim = (d: Described | undefined, current: SecretValue | undefined) =>
        claimTags(credential, context, token, d && current && current.versionId !== token ? { version: current.versionId, keyId: keyIdOf(d, current) } : undefined);

      let d = await api.describe();
      if (!d) {
        if (config.secretId.startsWith('arn:')) {
          throw new KeyrotError('provider-failed', { provider: label, operation: 'publish', reason: 'no secret has that ARN; name the secret instead to let keyrot create it' });
        }
        if ((await api.create(text, token, claim(undefined, undefined), sensitive)) === 'created') return;
        d = await api.describe(); // created meanwhile (another writer, or our own earlier request): carry on as for an existing secret
        if (!d) throw new KeyrotError('store-conflict', { store: `${label} (created and deleted while keyrot was publishing)` });
      }
      const owner = ownershipOf(d);
      if (owner.state === 'unmanaged' && !config.adopt) throw new KeyrotError('store-unmanaged', { store: label, detail: owner.detail });

      const current = await api.value({ stage: CURRENT });
      if (current && secretOf(current) === credential.secret && keyIdOf(d, current) === credential.keyId) return; // already published
      await api.tag(claim(d, current));
      if ((await api.put(text, token, sensitive)) === 'written') return;

      // The version with our token exists but is no longer AWSCURRENT: make it current again if it holds our key.
      const ours = await api.value({ id: token });
      if (!ours || secretOf(ours) !== credential.secret) throw new KeyrotError('store-conflict', { store: `${label} (version ${token} holds something else)` });
      await api.moveStage(CURRENT, { to: token, ...(current ? { from: current.versionId } : {}) });
    },

    async readBack() {
      const d = await api.describe();
      if (!d || d.deleted) return undefined;
      const current = await api.value({ stage: CURRENT });
      const secret = secretOf(current);
      return current && secret !== undefined ? { keyId: keyIdOf(d, current), secret } : undefined;
    },

    async onDeactivate(oldKeyId) {
      const old = await retiring(oldKeyId);
      if (!old || (old.stages.includes(RETIRED) && !old.stages.includes(PREVIOUS))) return 'unchanged';
      // Label it first, so it is never left without a label (deprecated) in between.
      if (!old.stages.includes(RETIRED)) await api.moveStage(RETIRED, { to: old.id, from: holderOf(old.d, RETIRED) });
      if (old.stages.includes(PREVIOUS)) await api.moveStage(PREVIOUS, { from: old.id });
      return 'changed';
    },

    async onReactivate(oldKeyId) {
      const old = await retiring(oldKeyId);
      if (!old || !old.stages.includes(RETIRED)) return 'unchanged'; // never retired, or already deleted
      if (!old.stages.includes(PREVIOUS)) await api.moveStage(PREVIOUS, { to: old.id, from: holderOf(old.d, PREVIOUS) });
      await api.moveStage(RETIRED, { from: old.id });
      return 'changed';
    },

    async onDelete(oldKeyId) {
      const old = await retiring(oldKeyId);
      const labels = [PREVIOUS, RETIRED].filter((stage) => old?.stages.includes(stage));
      for (const stage of labels) await api.moveStage(stage, { from: old!.id });
      return labels.length ? 'changed' : 'unchanged';
    },

    // For a rollback that publishes the old key again to a write-only target: the old key's version, by its id.
    async readRetired(keyId) {
      const d = await api.describe();
      const id = d ? versionOf(d, keyId) : undefined;
      if (!d || !id || d.stages[id]?.includes(CURRENT)) return undefined;
      const secret = secretOf(await api.value({ id }));
      return secret === undefined ? undefined : { keyId, secret };
    },

    explain: (op: StoreOp) => explainCall(op, config.secretId),

  };
}

/** The Secrets Manager call behind each step, for `keyrot plan`. */
function explainCall(op: StoreOp, id: string): string {
  const calls: Record<StoreOp, string> = {
    ownership: `secretsmanager:DescribeSecret(SecretId=${id}) (tag ${T.managedBy})`,
    publish: `secretsmanager:TagResource + PutSecretValue(SecretId=${id}, ClientRequestToken from the rotation) or CreateSecret`,
    readBack: `secretsmanager:GetSecretValue(SecretId=${id}, VersionStage=AWSCURRENT)`,
    onDeactivate: `secretsmanager:UpdateSecretVersionStage(SecretId=${id}): old version loses AWSPREVIOUS, gets ${RETIRED}`,
    onReactivate: `secretsmanager:UpdateSecretVersionStage(SecretId=${id}): old version gets AWSPREVIOUS back`,
    onDelete: `secretsmanager:UpdateSecretVersionStage(SecretId=${id}): old version loses every label (Secrets Manager removes it itself)`,
  };
  return calls[op];
}
