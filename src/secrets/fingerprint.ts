import { createHash } from 'node:crypto';

/** A short, stable name for a secret: safe to print, store and compare. Never reversible. */
export function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 12)}`;
}
