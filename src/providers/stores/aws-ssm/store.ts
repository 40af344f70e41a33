// An AWS SSM Parameter Store SecureString as a publish target. Consumers read the latest version; during
// the overlap the version it replaced carries the label keyrot-previous (NAME:keyrot-previous), as
// Secrets Manager's AWSPREVIOUS does.
//
// What keyrot keeps, never a secret: the parameter's tags (managed-by=keyrot, keyrot-plan, the key and
// version it wrote last, the key and version that one replaced) and each version's description, which
// names its key (versions.ts). Tags are claimed before the write, so after a crash they already say what
// the next version will hold; the version read back must be the one the tags name, else its description
// is asked.
//
// Retiring the old key: on deactivate its version trades keyrot-previous for keyrot-retired (kept for a
// rollback); on reactivate it gets keyrot-previous back. On delete every copy goes. Parameter Store has no
// call that deletes one version (the API has DeleteParameter, for all of them, and the name then cannot
// be created again for 30 seconds: an outage). It keeps the newest 100 versions and drops the oldest when
// a write would make 101, so keyrot writes the current value again until the old key's versions are out
// of the history: up to 99 writes (purge.ts). Consumers read the new key throughout.
import type { Credential, Ownership, ProviderContext, RetireResult, SecretStore, StoreOp } from '../../types.js';
import { secretValue } from '../secret-value.js';
import { type ParameterApi, parameterApi } from './client.js';
import { publishTo } from './publish.js';
import { pushOut } from './purge.js';
import type { AwsSsmStoreConfig } from './schema.js';
import { T, tagOwnership } from '../aws-tags.js';
import { holding, keyIdIn, PREVIOUS, RETIRED } from './versions.js';

/** Put `on` on the newest of the old key's versions and take `off` off all of them. */
async function moveLabels(api: ParameterApi, held: { version: number; labels: string[] }[], on: string, off: string): Promise<RetireResult> {
  const newest = held.at(-1);
  if (!newest) return 'unchanged';
  let changed = false;
  if (!newest.labels.includes(on)) {
    await api.label(newest.version, on);
    changed = true;
  }
  for (const v of held.filter((h) => h.labels.includes(off))) {
    await api.unlabel(v.version, [off]);
    changed = true;
  }
  return changed ? 'changed' : 'unchanged';
}

export function createAwsSsmStore(config: AwsSsmStoreConfig, ctx: ProviderContext): SecretStore {
  const label = `aws-ssm ${config.name} (${config.region})`;
  const api = parameterApi(config, label);
  const shape = secretValue(config);

  const ownershipOf = (tags: Record<string, string>): Ownership => tagOwnership(tags, ctx.planName, 'the parameter');

  /** The key the latest version holds: the tags when they name that version, else its description, else a {{keyId}} field. */
  async function keyIdOfLatest(latest: { version: number; value: string }, tags: Record<string, string>): Promise<string> {
    const tagged = tags[T.keyId];
    if (tagged && tags[T.version] === String(latest.version)) return tagged;
    const described = (await api.history(false)).find((v) => v.version === latest.version);
    return (described && keyIdIn(described, tags)) || shape.keyIdOf(latest.value) || 'unknown';
  }

  /** The old key's versions (never the latest: a new publish retires that one), with the labels they carry. */
  async function retiring(keyId: string, values = false) {
    const [versions, tags] = await Promise.all([api.history(values), api.tags()]);
    const latest = versions.at(-1);
    if (latest && keyIdIn(latest, tags) === keyId) {
      ctx.note(`${label}: key ${keyId} is still the latest version; it stops being served when a new key is published there`);
    }
    return { versions, tags, held: holding(versions, tags, keyId) };
  }

  return {
    label,

    async ownership() {
      if (!(await api.current())) return { state: 'absent' };
      return ownershipOf(await api.tags());
    },

    publish: (credential, context) => publishTo({ api, shape, label, adopt: config.adopt, ownershipOf, keyIdOfLatest }, credential, context),

    // Read back by version: the latest version, and the key the tags (or its description) say it holds.
    async readBack() {
      const latest = await api.current();
      const secret = shape.secretOf(latest?.value);
      if (!latest || secret === undefined) return undefined;
      return { keyId: await keyIdOfLatest(latest, await api.tags()), secret };
    },

    async onDeactivate(oldKeyId) {
      return moveLabels(api, (await retiring(oldKeyId)).held, RETIRED, PREVIOUS);
    },

    async onReactivate(oldKeyId) {
      const { held } = await retiring(oldKeyId);
      if (!held.some((v) => v.labels.includes(RETIRED))) return 'unchanged'; // never retired, or deleted already
      return moveLabels(api, held, PREVIOUS, RETIRED);
    },

    async onDelete(oldKeyId) {
      const { versions, tags, held } = await retiring(oldKeyId);
      const latest = versions.at(-1);
      if (!latest || held.length === 0 || keyIdIn(latest, tags) === oldKeyId) return 'unchanged';
      return pushOut(api, { label, name: config.name, versions, held, tags, note: ctx.note });
    },

    async readRetired(keyId): Promise<Credential | undefined> {
      const { held } = await retiring(keyId, true);
      const secret = shape.secretOf(held.at(-1)?.value);
      return secret === undefined ? undefined : { keyId, secret };
    },

    explain(op: StoreOp) {
      const n = config.name;
      const calls: Record<StoreOp, string> = {
        ownership: `ssm:GetParameter + ListTagsForResource(Name=${n}) (tag ${T.managedBy})`,
        publish: `ssm:AddTagsToResource + LabelParameterVersion(${PREVIOUS} on the version it replaces) + PutParameter(Name=${n}, SecureString${config.kmsKeyId ? `, KeyId=${config.kmsKeyId}` : ''})`,
        readBack: `ssm:GetParameter(Name=${n}, WithDecryption) + ListTagsForResource: the latest version, the one the tag ${T.version} names`,
        onDeactivate: `ssm:LabelParameterVersion(Name=${n}): old version trades ${PREVIOUS} for ${RETIRED}`,
        onReactivate: `ssm:LabelParameterVersion(Name=${n}): old version gets ${PREVIOUS} back`,
        onDelete: `ssm:UnlabelParameterVersion + PutParameter(Name=${n}) up to 99 times: the current value written again until the old versions fall out of the 100-version history (there is no call to delete one version)`,
      };
      return calls[op];
    },
  };
}
