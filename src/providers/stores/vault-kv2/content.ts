// What a version of a Vault KV v2 secret holds, read through the target's `data` templates: the secret
// (from the field consumers read it from), the key it belongs to, and a fingerprint of its content.
import { extractSecret, mentionsSecret } from '../../../shared/template.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import type { SecretVersion } from '../../../vault/kv2.js';
import { ADOPTED, heldIn } from './record.js';

export interface ContentReader {
  secretOf(version: SecretVersion | undefined): string | undefined;
  /** What identifies a version's content: the secret's fingerprint, or the whole data's for a value without that field. */
  contentPrint(version: SecretVersion): string | undefined;
  /** Which key a version holds: keyrot's record if the content matches it, else a {{keyId}} field, else "unknown". */
  keyIdOf(version: SecretVersion): string;
}

export function contentReader(data: Record<string, string>): ContentReader {
  const fields = Object.entries(data);
  // The field consumers read the secret from: one that is exactly {{secret}} if there is one.
  const [secretField, secretTemplate] = fields.find(([, t]) => /^\s*\{\{\s*secret\s*\}\}\s*$/.test(t)) ?? fields.find(([, t]) => mentionsSecret(t))!;
  const keyIdField = fields.find(([, t]) => /^\s*\{\{\s*keyId\s*\}\}\s*$/.test(t))?.[0];

  function secretOf(version: SecretVersion | undefined): string | undefined {
    const value = version?.data?.[secretField];
    return typeof value === 'string' ? extractSecret(secretTemplate, value) : undefined;
  }
  const contentPrint = (version: SecretVersion): string | undefined =>
    version.data === undefined ? undefined : fingerprint(secretOf(version) ?? canonical(version.data));
  function keyIdOf(version: SecretVersion): string {
    const held = heldIn(version.customMetadata).find((h) => h.version === version.version);
    if (held && held.keyId !== ADOPTED && (!held.fingerprint || held.fingerprint === contentPrint(version))) return held.keyId;
    const fromData = keyIdField ? version.data?.[keyIdField] : undefined;
    return typeof fromData === 'string' ? fromData : 'unknown';
  }
  return { secretOf, contentPrint, keyIdOf };
}

const canonical = (d: Record<string, unknown> | undefined): string => (d ? JSON.stringify(Object.entries(d).sort(([x], [y]) => x.localeCompare(y))) : '');

export const sameData = (a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean => canonical(a) === canonical(b);
