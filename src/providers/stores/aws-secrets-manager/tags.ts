// keyrot's record in an AWS Secrets Manager secret's tags (never a secret): which plan manages it, the
// key in the version keyrot wrote, and the key (and version) it replaced ("" = adopted, id unknown).
// Tags are claimed before the write, so after a crash they already say which key a version holds.
import type { Credential, Ownership, PublishContext } from '../../types.js';
import type { SecretValue as ValueShape } from '../secret-value.js';
import type { Described, SecretValue } from './client.js';
import { scheduledForDeletion } from './errors.js';

export const T = {
  managedBy: 'managed-by',
  plan: 'keyrot-plan',
  rotatedAt: 'keyrot-rotated-at',
  keyId: 'keyrot-key-id',
  version: 'keyrot-version',
  previousKeyId: 'keyrot-previous-key-id',
  previousVersion: 'keyrot-previous-version',
} as const;
const MARKER = 'keyrot';

/** Which key a version holds: keyrot's tags, else a {{keyId}} field, else "unknown". */
export function keyIdOf(shape: ValueShape, d: Described, value: SecretValue): string {
  const { [T.version]: version, [T.keyId]: keyId, [T.previousVersion]: previousVersion, [T.previousKeyId]: previousKeyId } = d.tags;
  if (keyId && version === value.versionId) return keyId;
  if (previousKeyId && previousVersion === value.versionId) return previousKeyId;
  return shape.keyIdOf(value.text) ?? 'unknown';
}

/** Whose the secret is: absent, keyrot's for this plan, or someone else's (another plan's too). */
export function ownershipOf(d: Described | undefined, planName: string, where: { label: string; secretId: string; region: string }): Ownership {
  if (!d) return { state: 'absent' };
  if (d.deleted) throw scheduledForDeletion(where.label, where.secretId, where.region);
  if (d.tags[T.managedBy] !== MARKER) return { state: 'unmanaged', detail: `the secret has no tag ${T.managedBy}=${MARKER}` };
  // Another plan's secret is not ours either: two plans would take turns overwriting it.
  if (d.tags[T.plan] && d.tags[T.plan] !== planName) return { state: 'unmanaged', detail: `it is managed by keyrot plan "${d.tags[T.plan]}"` };
  return { state: 'managed', plan: d.tags[T.plan], keyId: d.tags[T.keyId] };
}

/** The version holding `keyId`, by keyrot's tags ("" marks an adopted version: the old key, id unknown). */
export function versionOf(d: Described, keyId: string): string | undefined {
  if (d.tags[T.keyId] === keyId) return d.tags[T.version];
  const previous = d.tags[T.previousKeyId];
  return d.tags[T.previousVersion] && (previous === keyId || previous === '') ? d.tags[T.previousVersion] : undefined;
}

/** The tags claiming version `token` for the credential; `replaced`: the key id of the version it replaces. */
export function claimTags(credential: Credential, context: PublishContext, token: string, replaced: { versionId: string; keyId: string } | undefined): Record<string, string> {
  return {
    [T.managedBy]: MARKER,
    [T.plan]: context.plan,
    [T.rotatedAt]: context.rotatedAt.toISOString(),
    [T.keyId]: credential.keyId,
    [T.version]: token,
    ...(replaced && replaced.versionId !== token
      ? { [T.previousVersion]: replaced.versionId, [T.previousKeyId]: replaced.keyId.replace(/^unknown$/, '') }
      : {}),
  };
}
