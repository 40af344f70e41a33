// Copies of small state secrets in their own custom_metadata, so one OpenBao detailed-metadata listing
// answers many plans at once (issue 27: a quiet tick over 10,000 plans, keyrot status). A copy carries
// the KV version of the data it copies, and is used only while that is still the secret's current
// version: a copy older than its data is seen as such in the same answer, and the secret is read
// instead. So a copy never needs to be written before anything (the lock holder writes it last, and
// one that is missing or late costs a read, never a wrong answer), and a server without that listing
// (HashiCorp Vault) or a token not allowed it gets one LIST and one read per secret, as before.
import pLimit from 'p-limit';
import type { ListedSecret } from '../vault/kv2.js';
import type { VaultSpace } from './vault-space.js';

type Purpose = 'state' | 'ledger' | 'audit';

/** How peekViews finds the secrets: 'listed' (the detailed listing, reading only what it does not mirror) or 'read' (each name read: for a few names in a large folder, cheaper than listing it). */
export type PeekWay = 'listed' | 'read';

const OF = 'keyrot-of';
const PART = 'keyrot-';
/** custom_metadata takes at most 64 keys of at most 512 bytes each. */
const PART_CHARS = 500;
const MAX_PARTS = 60;
/**
 * Secrets per listing page. OpenBao lists the whole folder again for each page (at 10,000 secrets about
 * 15 ms of its CPU a page), so fewer, larger pages: a page of 1000 mirrored records is 1.6–3 MB of JSON
 * (3 with ten kept versions each), and two are held at once (this one, and the next as it arrives).
 */
export const LISTED_PER_PAGE = 1000;
const READS_AT_ONCE = 16;

/** custom_metadata holding `view` (text derived from the data at KV `version`); undefined if too large. */
export function mirrorOf(view: string, version: number): Record<string, string> | undefined {
  // ASCII only, so characters are bytes (the limit is in bytes): the views are JSON, where \uXXXX reads back the same.
  const ascii = view.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const parts = Math.ceil(ascii.length / PART_CHARS);
  if (parts > MAX_PARTS) return undefined;
  const custom: Record<string, string> = { [OF]: String(version) };
  for (let i = 0; i < parts; i++) custom[`${PART}${i}`] = ascii.slice(i * PART_CHARS, (i + 1) * PART_CHARS);
  return custom;
}

/** The view a listed secret's mirror holds, if it copies the current version; undefined otherwise. */
export function mirroredView(listed: ListedSecret): string | undefined {
  const custom = listed.customMetadata;
  if (listed.gone || custom[OF] !== String(listed.currentVersion)) return undefined;
  let view = '';
  for (let i = 0; custom[`${PART}${i}`] !== undefined; i++) view += custom[`${PART}${i}`];
  return view === '' ? undefined : view;
}

export interface Viewed {
  name: string;
  /** Undefined: there is no such secret, or it holds nothing. */
  view: string | undefined;
  /** It could not be read (refused, garbled): the caller says unknown. */
  failed?: true;
}

/**
 * Each of `names` among this purpose's secrets, as `view` derives it from the data: from a fresh mirror
 * in the detailed listing (a page of LISTED_PER_PAGE secrets per request, the next asked for while this one is used),
 * or by reading the secret. Answered a listing page at a time, each name exactly once. With way 'read',
 * no listing: each name read, a page of names at a time.
 */
export async function* peekViews(space: VaultSpace, purpose: Purpose, names: readonly string[], view: (data: Record<string, unknown> | undefined) => string | undefined, way: PeekWay = 'listed'): AsyncGenerator<Viewed[]> {
  const wanted = new Set(names);
  const limit = pLimit(READS_AT_ONCE);
  const read = (name: string) =>
    limit(async (): Promise<Viewed> => {
      try {
        const found = await (await space.kv(purpose, name)).read();
        return { name, view: found && !found.deleted ? view(found.data) : undefined };
      } catch {
        return { name, view: undefined, failed: true };
      }
    });
  if (way === 'read') {
    for (let i = 0; i < names.length; i += LISTED_PER_PAGE) yield await Promise.all(names.slice(i, i + LISTED_PER_PAGE).map(read));
    return;
  }
  // The next page is asked for while this one is used (and while the caller uses it): OpenBao builds
  // one page as keyrot parses the last, instead of each waiting on the other.
  const pageAfter = (after: string) => {
    const asked = space.listDetailed(purpose, after, LISTED_PER_PAGE);
    asked.catch(() => undefined); // awaited below; a caller that stops early leaves no unhandled rejection
    return asked;
  };
  let next = pageAfter('');
  for (;;) {
    const page = await next;
    if (!page) break; // no detailed listing here: one LIST, then a read per secret
    const full = page.size >= LISTED_PER_PAGE;
    if (full) next = pageAfter([...page.keys()].sort().at(-1)!);
    const listed = [...page.keys()].filter((name) => wanted.delete(name));
    yield await Promise.all(listed.map((name) => {
      const mirrored = mirroredView(page.get(name)!);
      return mirrored !== undefined ? { name, view: mirrored } : read(name);
    }));
    if (!full) {
      yield [...wanted].map((name) => ({ name, view: undefined }));
      return;
    }
  }
  const stored = new Set(await space.names(purpose));
  const all = [...wanted];
  for (let i = 0; i < all.length; i += LISTED_PER_PAGE) {
    yield await Promise.all(all.slice(i, i + LISTED_PER_PAGE).map((name) => (stored.has(name) ? read(name) : { name, view: undefined })));
  }
}
