// The record keyrot keeps in the tags of an AWS secret (Secrets Manager) or parameter (Parameter
// Store), never a secret: which plan manages it, the key in the version keyrot wrote, and the key (and
// version) that one replaced ("" = adopted, id unknown). Claimed before the write, so after a crash the
// tags already say which key a version holds.
import type { Credential, Ownership, PublishContext } from '../types.js';

export const T = {
  managedBy: 'managed-by',
  plan: 'keyrot-plan',
  rotatedAt: 'keyrot-rotated-at',
  keyId: 'keyrot-key-id',
  version: 'keyrot-version',
  previousKeyId: 'keyrot-previous-key-id',
  previousVersion: 'keyrot-previous-version',
} as const;
export const MARKER = 'keyrot';

/** Whose the tagged thing (`what`: "the secret", "the parameter") is: keyrot's for this plan, or someone else's (another plan's too). */
export function tagOwnership(tags: Record<string, string>, planName: string, what: string): Ownership {
  if (tags[T.managedBy] !== MARKER) return { state: 'unmanaged', detail: `${what} has no tag ${T.managedBy}=${MARKER}` };
  // Another plan's is not ours either: two plans would take turns overwriting it.
  if (tags[T.plan] && tags[T.plan] !== planName) return { state: 'unmanaged', detail: `it is managed by keyrot plan "${tags[T.plan]}"` };
  return { state: 'managed', plan: tags[T.plan], keyId: tags[T.keyId] };
}

/** The tags claiming `version` for the credential; `replaced`: the version it replaces and the key that one holds. */
export function claimTags(credential: Credential, context: PublishContext, version: string, replaced: { version: string; keyId: string } | undefined): Record<string, string> {
  return {
    [T.managedBy]: MARKER,
    [T.plan]: context.plan,
    [T.rotatedAt]: context.rotatedAt.toISOString(),
    [T.keyId]: credential.keyId,
    [T.version]: version,
    ...(replaced ? { [T.previousVersion]: replaced.version, [T.previousKeyId]: replaced.keyId.replace(/^unknown$/, '') } : {}),
  };
}
