// A GitHub Actions secret (repository, environment or organization) as a publish target. Workflows read
// it as ${{ secrets.NAME }}. It is write-only: GitHub returns a secret's name, created_at and updated_at,
// never its value. So keyrot records what it wrote in an Actions variable beside it, KEYROT_<NAME> (JSON:
// managed-by, plan, key id, the secret's fingerprint, and the updated_at GitHub gave the write). That is
// the ownership marker, and what verify compares: it vouches for the value only while the secret's
// updated_at has not moved since. Workflows may read the key id from it: ${{ fromJSON(vars.KEYROT_NAME).keyId }}.
//
// GitHub keeps no older value: publishing overwrites it, so the retire hooks have nothing to change, and
// a rollback (see README) publishes the old key here again from another target that kept it.
import { KeyrotError } from '../../../errors.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import { renderTemplate } from '../../../shared/template.js';
import type { Ownership, ProviderContext, SecretStore, StoreOp, Written } from '../../types.js';
import { githubApi } from './client.js';
import { githubDoctor } from './doctor.js';
import { type GithubActionsStoreConfig, markerName } from './schema.js';
import { seal } from './sealed.js';

const MARKER = 'keyrot';

interface Marker {
  'managed-by': string;
  plan: string;
  keyId: string;
  fingerprint: string;
  /** The secret's updated_at that GitHub gave keyrot's write. */
  secretUpdatedAt: string;
  rotatedAt: string;
}

function parseMarker(text: string | undefined): Marker | undefined {
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as Partial<Marker>;
    const fields = [m['managed-by'], m.plan, m.keyId, m.fingerprint, m.secretUpdatedAt];
    return fields.every((f) => typeof f === 'string') ? (m as Marker) : undefined;
  } catch {
    return undefined;
  }
}

export function createGithubActionsStore(config: GithubActionsStoreConfig, ctx: ProviderContext): SecretStore {
  const api = githubApi(config, ctx, `github-actions ${config.name}`);
  const label = `github-actions ${config.name} (${api.where})`;
  const variable = markerName(config.name);

  function ownershipOf(marker: Marker | undefined): Ownership {
    if (marker?.['managed-by'] !== MARKER) return { state: 'unmanaged', detail: `no keyrot record beside it (the Actions variable ${variable})` };
    // Another plan's secret is not ours either: two plans would take turns overwriting it.
    if (marker.plan !== ctx.planName) return { state: 'unmanaged', detail: `it is managed by keyrot plan "${marker.plan}"` };
    return { state: 'managed', plan: marker.plan, keyId: marker.keyId };
  }

  async function written(): Promise<Written | undefined> {
    const secret = await api.secret();
    if (!secret) return undefined;
    const marker = parseMarker(await api.marker());
    if (marker?.['managed-by'] !== MARKER) return { keyId: 'unknown', fingerprint: 'not written by keyrot' };
    if (marker.secretUpdatedAt !== secret.updatedAt) return { keyId: 'unknown', fingerprint: `written at ${secret.updatedAt}, after keyrot wrote ${marker.keyId}` };
    return { keyId: marker.keyId, fingerprint: marker.fingerprint };
  }

  const stillServed = async (keyId: string) => {
    if (parseMarker(await api.marker())?.keyId === keyId) ctx.note(`${label}: key ${keyId} is still what GitHub serves; it stops being served when a new key is published there`);
    return 'unchanged' as const;
  };

  const store: SecretStore = {
    label,
    singleValue: true,
    writeOnly: { reason: 'GitHub never returns a secret\'s value: keyrot checks what it recorded writing, while the secret\'s updated_at has not moved', written },

    async ownership() {
      if (!(await api.secret())) return { state: 'absent' };
      return ownershipOf(parseMarker(await api.marker()));
    },

    async publish(credential, context) {
      const before = await api.secret();
      const recorded = await api.marker();
      const marker = parseMarker(recorded);
      const owner = before ? ownershipOf(marker) : undefined;
      if (owner?.state === 'unmanaged' && !config.adopt) throw new KeyrotError('store-unmanaged', { store: label, detail: owner.detail });
      const print = fingerprint(credential.secret);
      if (before && marker?.keyId === credential.keyId && marker.fingerprint === print && marker.secretUpdatedAt === before.updatedAt) return; // already published

      const key = await api.publicKey();
      const value = renderTemplate(config.value, { keyId: credential.keyId, secret: credential.secret, rotatedAt: context.rotatedAt.toISOString() });
      await api.putSecret(await seal(value, key.key), key.keyId);
      const after = await api.secret();
      // GitHub's updated_at moved past the publish (to the second): else someone else's write is what it shows.
      if (!after || (before && after.updatedAt < before.updatedAt)) throw new KeyrotError('store-conflict', { store: `${label} (the secret's updated_at did not move with keyrot's write)` });
      const next: Marker = { 'managed-by': MARKER, plan: context.plan, keyId: credential.keyId, fingerprint: print, secretUpdatedAt: after.updatedAt, rotatedAt: context.rotatedAt.toISOString() };
      await api.setMarker(JSON.stringify(next), recorded !== undefined);
    },

    // Write-only: never a value (see writeOnly.written).
    readBack: async () => undefined,
    onDeactivate: stillServed,
    // The engine publishes the old key again where the plan allows it; GitHub holds nothing to restore.
    onReactivate: async () => 'unchanged',
    onDelete: stillServed,

    explain(op: StoreOp) {
      const at = `${config.apiUrl.replace(/\/+$/, '')}/${config.organization ? `orgs/${config.organization}/actions` : config.environment ? `repos/${config.repository}/environments/${config.environment}` : `repos/${config.repository}/actions`}`;
      const calls: Record<StoreOp, string> = {
        ownership: `GET ${at}/secrets/${config.name} + GET ${at}/variables/${variable} (keyrot's record)`,
        publish: `GET ${at}/secrets/public-key + PUT ${at}/secrets/${config.name} (sealed box) + PATCH ${at}/variables/${variable}`,
        readBack: `GET ${at}/secrets/${config.name}: updated_at only (write-only: GitHub never returns the value; keyrot compares the key id and fingerprint it recorded in ${variable})`,
        onDeactivate: 'nothing to call: GitHub keeps no older value; the old key stops being served once the new one is published',
        onReactivate: config.rollback
          ? `PUT ${at}/secrets/${config.name} with the old key, read from another target of the plan that keeps it`
          : 'nothing (rollback: false): this target keeps serving the new key',
        onDelete: 'nothing to call: GitHub keeps no copy of an overwritten value',
      };
      return `github-actions: ${calls[op]}`;
    },

    doctor: () => githubDoctor(config, ctx.env, api, () => store.ownership()),
  };
  return store;
}
