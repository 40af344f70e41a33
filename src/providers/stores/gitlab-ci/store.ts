// A GitLab CI/CD variable (a project's, in one environment scope, or a group's) as a publish target.
// Jobs read it as $KEY. It is readable: verify reads the value back, as for Vault. keyrot's record is the
// variable's description (record.ts): the ownership marker, and the key id of what keyrot wrote.
//
// GitLab keeps no older value: publishing overwrites it, so once the new key is published the old one is
// not served there any more, and no copy of its secret is left to remove. The retire hooks have nothing to
// change; a rollback publishes the old key here again from another target that kept it (singleValue).
// GitLab has no compare-and-set for variables: keyrot reads before it writes, a create that finds the key
// taken is someone else's unless it holds exactly what keyrot wrote, and a later write by another hand
// shows as a value whose fingerprint no longer matches the record (verify publishes again).
import { KeyrotError } from '../../../errors.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import type { Credential, Ownership, ProviderContext, PublishContext, SecretStore, StoreOp } from '../../types.js';
import { secretValue } from '../secret-value.js';
import { type GitlabVariable, gitlabApi, type VariableWrite } from './client.js';
import { gitlabDoctor } from './doctor.js';
import { unmaskable } from './masking.js';
import { describeRecord, recordIn } from './record.js';
import type { GitlabCiStoreConfig } from './schema.js';

export function createGitlabCiStore(config: GitlabCiStoreConfig, ctx: ProviderContext): SecretStore {
  const api = gitlabApi(config, ctx, `gitlab-ci ${config.key}`);
  const label = `gitlab-ci ${config.key} (${api.where})`;
  const shape = secretValue(config);

  function ownershipOf(v: GitlabVariable): Ownership {
    const record = recordIn(v.description);
    if (!record) return { state: 'unmanaged', detail: 'its description holds no keyrot record ("managed by keyrot: plan …")' };
    // Another plan's variable is not ours either: two plans would take turns overwriting it.
    if (record.plan !== ctx.planName) return { state: 'unmanaged', detail: `it is managed by keyrot plan "${record.plan}"` };
    return { state: 'managed', plan: record.plan, keyId: record.keyId };
  }

  /** What jobs read now: the secret, and the key keyrot's record names while the value still has its fingerprint. */
  function served(v: GitlabVariable | undefined): Credential | undefined {
    const secret = typeof v?.value === 'string' ? shape.secretOf(v.value) : undefined;
    if (!v || secret === undefined) return undefined;
    const record = recordIn(v.description);
    const keyId = record?.fingerprint === fingerprint(secret) ? record.keyId : (shape.keyIdOf(v.value!) ?? 'unknown');
    return { keyId, secret };
  }

  const settled = (v: GitlabVariable, write: VariableWrite) =>
    v.value === write.value && v.description === write.description && v.masked === config.masked && v.protected === config.protected && v.raw === config.raw;

  /** The variable as GitLab holds it after keyrot's write (read again when the answer was cut short). */
  async function write(found: GitlabVariable | undefined, next: VariableWrite): Promise<GitlabVariable | undefined> {
    const written = found ? await api.update(next) : await api.create(next);
    if (written !== 'taken') return written ?? api.get();
    // Created while keyrot looked away: its own create whose answer was lost, or another writer's.
    const now = await api.get();
    if (now && now.value === next.value && now.description === next.description) return now;
    throw new KeyrotError('store-conflict', { store: `${label} (created by another writer after keyrot found it absent)` });
  }

  async function publish(credential: Credential, context: PublishContext): Promise<void> {
    const found = await api.get();
    if (found?.hidden) throw new KeyrotError('store-variable-hidden', { store: label });
    const owner = found ? ownershipOf(found) : undefined;
    if (owner?.state === 'unmanaged' && !config.adopt) throw new KeyrotError('store-unmanaged', { store: label, detail: owner.detail });
    const next: VariableWrite = {
      value: shape.render(credential, context.rotatedAt),
      description: describeRecord({ plan: context.plan, keyId: credential.keyId, fingerprint: fingerprint(credential.secret) }, label),
    };
    const current = served(found);
    if (found && current?.keyId === credential.keyId && current.secret === credential.secret && settled(found, { ...next, value: found.value! })) return; // already published
    const refused = config.masked ? unmaskable(next.value) : undefined;
    if (refused) throw new KeyrotError('store-value-unmaskable', { store: label, reason: refused });
    const written = await write(found, next);
    // GitLab before 16.2 drops a variable's description: keyrot could never tell its own variable again.
    if (written && written.description !== next.description) {
      throw new KeyrotError('provider-failed', { provider: label, operation: 'publish', reason: 'GitLab did not keep the variable\'s description, where keyrot records what it wrote (GitLab 16.2 or later keeps it)' });
    }
  }

  /** The old key is not served once the new one is published over it; say so if it still is. */
  async function stillServed(oldKeyId: string) {
    if (served(await api.get())?.keyId === oldKeyId) ctx.note(`${label}: key ${oldKeyId} is still what GitLab serves; it stops being served when a new key is published there`);
    return 'unchanged' as const;
  }

  const store: SecretStore = {
    label,
    singleValue: true,

    async ownership() {
      const found = await api.get();
      return found ? ownershipOf(found) : { state: 'absent' };
    },

    publish,
    readBack: async () => served(await api.get()),
    onDeactivate: stillServed,
    // The engine publishes the old key again where the plan allows it (singleValue); GitLab holds nothing to restore.
    onReactivate: async () => 'unchanged',
    onDelete: stillServed,

    explain(op: StoreOp) {
      const at = api.address;
      const calls: Record<StoreOp, string> = {
        ownership: `GET ${at} (its description: keyrot's record)`,
        publish: `GET ${at}, then PUT it (POST when absent) with the value, keyrot's record in its description, masked=${config.masked} protected=${config.protected} raw=${config.raw}; the token needs the scope api and the role ${config.project ? `Maintainer on project ${config.project}` : `Owner on group ${config.group}`}`,
        readBack: `GET ${at}: the value, and the key id keyrot's record names while the value's fingerprint matches it`,
        onDeactivate: 'nothing to call: GitLab keeps no older value; the old key stopped being served when the new one was published',
        onReactivate: config.rollback
          ? `PUT ${at} with the old key, read from another target of the plan that keeps it`
          : 'nothing (rollback: false): this target keeps serving the new key',
        onDelete: 'nothing to call: GitLab keeps no copy of an overwritten value',
      };
      return `gitlab-ci: ${calls[op]}`;
    },

    doctor: () => gitlabDoctor(config, ctx.env, api, () => store.ownership()),
  };
  return store;
}
