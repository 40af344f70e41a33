// keyrot's record in a Vault KV v2 secret's custom_metadata (never a secret): which plan manages the
// secret, the key it last published and, per version it wrote, the key that version holds
// (`keyrot-v<N> = "<key id> <fingerprint>"`, or "(adopted) <fingerprint>" for a value an `adopt: true`
// target held when keyrot took it over). custom_metadata is shared by all versions, so versions are
// named explicitly.
import { fingerprint } from '../../../secrets/fingerprint.js';
import type { Credential, Ownership, PublishContext } from '../../types.js';
import type { SecretVersion } from '../../../vault/kv2.js';

export const M = {
  managedBy: 'managed-by',
  plan: 'keyrot-plan',
  keyId: 'keyrot-key-id',
  version: 'keyrot-version',
  rotatedAt: 'keyrot-rotated-at',
  // Written before keyrot-v<N> existed; read once, to migrate.
  previousKeyId: 'keyrot-previous-key-id',
  previousVersion: 'keyrot-previous-version',
} as const;
export const MARKER = 'keyrot';
const HELD = /^keyrot-v(\d+)$/;
/** The holder recorded for an adopted value: retired with whichever old key is retired next. */
export const ADOPTED = '(adopted)';

/** A version keyrot wrote (or adopted), and what it holds. No fingerprint: recorded by an older keyrot. */
export interface Held {
  version: number;
  keyId: string;
  fingerprint?: string;
}

export function heldIn(custom: Record<string, string>): Held[] {
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
export function withRecord(custom: Record<string, string>, held: Held[]): Record<string, string> {
  const m = Object.fromEntries(Object.entries(custom).filter(([name]) => !HELD.test(name) && name !== M.previousKeyId && name !== M.previousVersion));
  for (const h of held) m[heldName(h.version)] = h.fingerprint ? `${h.keyId} ${h.fingerprint}` : h.keyId;
  return m;
}

/**
 * custom_metadata claiming version `next` for the credential, written before the data (so a version
 * written by a run that then died is still known). `adoptedPrint`: the fingerprint of the value found,
 * when adopting it, recorded as held by no key of keyrot's.
 */
export function claim(found: SecretVersion | undefined, credential: Credential, next: number, context: PublishContext, adoptedPrint: string | undefined): Record<string, string> {
  const m = withRecord(found?.customMetadata ?? {}, heldIn(found?.customMetadata ?? {}));
  if (found && adoptedPrint) m[heldName(found.version)] = `${ADOPTED} ${adoptedPrint}`;
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

/** Whose the secret is: absent, keyrot's for this plan, or someone else's (another plan's too). */
export function ownershipOf(version: SecretVersion | undefined, planName: string, where: string): Ownership {
  if (!version) return { state: 'absent' };
  const m = version.customMetadata;
  if (m[M.managedBy] !== MARKER) {
    return { state: 'unmanaged', detail: `${where} exists (version ${version.version}) without custom_metadata ${M.managedBy}=${MARKER}` };
  }
  // Another plan's secret is not ours to overwrite either: two plans would take turns clobbering it.
  if (m[M.plan] && m[M.plan] !== planName) return { state: 'unmanaged', detail: `it is managed by keyrot plan "${m[M.plan]}"` };
  return { state: 'managed', plan: m[M.plan], keyId: m[M.keyId] };
}
