// What a Secrets Manager secret's tags (the record of ../aws-tags.ts) say about its versions.
import type { Ownership } from '../../types.js';
import { T, tagOwnership } from '../aws-tags.js';
import type { SecretValue as ValueShape } from '../secret-value.js';
import type { Described, SecretValue } from './client.js';
import { scheduledForDeletion } from './errors.js';

/** Which key a version holds: keyrot's tags, else a {{keyId}} field, else "unknown". */
export function keyIdOf(shape: ValueShape, d: Described, value: SecretValue): string {
  const { [T.version]: version, [T.keyId]: keyId, [T.previousVersion]: previousVersion, [T.previousKeyId]: previousKeyId } = d.tags;
  if (keyId && version === value.versionId) return keyId;
  if (previousKeyId && previousVersion === value.versionId) return previousKeyId;
  return shape.keyIdOf(value.text) ?? 'unknown';
}

/** Whose the secret is: absent, keyrot's for this plan, or someone else's; a secret scheduled for deletion is refused. */
export function ownershipOf(d: Described | undefined, planName: string, where: { label: string; secretId: string; region: string }): Ownership {
  if (!d) return { state: 'absent' };
  if (d.deleted) throw scheduledForDeletion(where.label, where.secretId, where.region);
  return tagOwnership(d.tags, planName, 'the secret');
}

/** The version holding `keyId`, by keyrot's tags ("" marks an adopted version: the old key, id unknown). */
export function versionOf(d: Described, keyId: string): string | undefined {
  if (d.tags[T.keyId] === keyId) return d.tags[T.version];
  const previous = d.tags[T.previousKeyId];
  return d.tags[T.previousVersion] && (previous === keyId || previous === '') ? d.tags[T.previousVersion] : undefined;
}
