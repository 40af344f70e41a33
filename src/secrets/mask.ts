import { redact } from './redact.js';

/** `text` with every value in `sensitive` (what a request carried) and every secret seen so far masked. */
export function mask(text: string, sensitive: string[]): string {
  let out = text;
  for (const value of sensitive) if (value.length >= 4) out = out.split(value).join('[redacted]');
  return redact(out);
}
