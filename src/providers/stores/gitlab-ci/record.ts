// What keyrot keeps in a variable's description (GitLab 16.2 and later; up to 255 characters): that
// keyrot manages it, for which plan, and which key it wrote there with that secret's fingerprint. Never
// the secret. The description is the ownership marker, and it names the key while the value still has
// that fingerprint: a value someone else wrote since no longer matches it.
import { KeyrotError } from '../../../errors.js';

export interface VariableRecord {
  plan: string;
  keyId: string;
  fingerprint: string;
}

const MAX = 255;
const PATTERN = /^managed by keyrot: plan (\S+), key (\S+), (sha256:[0-9a-f]{12})$/;

export function describeRecord(r: VariableRecord, store: string): string {
  const text = `managed by keyrot: plan ${r.plan}, key ${r.keyId}, ${r.fingerprint}`;
  if (text.length > MAX) throw new KeyrotError('provider-failed', { provider: store, operation: 'publish', reason: `key id ${r.keyId.slice(0, 40)}… is too long for keyrot's record in the variable's description (GitLab keeps ${MAX} characters)` });
  return text;
}

export function recordIn(description: string | null | undefined): VariableRecord | undefined {
  const m = PATTERN.exec(description ?? '');
  return m ? { plan: m[1]!, keyId: m[2]!, fingerprint: m[3]! } : undefined;
}
