// The new key a plain `keyrot abandon` left active beside the old one. A run before `keyrot abandon
// --retire-new` starts a rotation that holds at the key limit (both keys count); that rotation carries
// the key (RotationState.abandonedNewKey), so `--retire-new` still retires it and the hold names that way out.
import type { RotationState } from './rotation.js';

type AbandonedNewKey = RotationState['abandonedNewKey'];

/** What a fresh rotation takes over from the plan's last record: the new key its abandon left, or the one it carried itself. */
export function abandonedNewKeyOf(saved: RotationState | undefined): AbandonedNewKey {
  if (!saved?.abandoned) return undefined;
  return saved.newKeyId ? { keyId: saved.newKeyId, rotationId: saved.rotationId } : saved.abandonedNewKey;
}

/** The key `keyrot abandon --retire-new` retires: the rotation's own new key, else (it created none) the one an abandon left. */
export const keyToRetire = (state: RotationState | undefined): string | null => state?.newKeyId ?? state?.abandonedNewKey?.keyId ?? null;
