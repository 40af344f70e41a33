// Every page of a list call: page numbers, a cursor, or the next page's link, as the plan says.
// Bounded: a vendor that keeps answering "more" (or the same page again) is an error, not a loop.
import { KeyrotError } from '../../../errors.js';
import type { Call, Paging } from './calls-schema.js';
import { findAll, findOne } from './json-path.js';
import type { Reply, Requester } from './request.js';
import type { Vars } from './template.js';

/** Far past any key list (100 pages of 100 keys): a list longer than this is a vendor bug. */
export const MAX_PAGES = 100;

/** Each page's answer in turn. `accept`: statuses that are an answer too (an empty Vault LIST is 404); `name`: the call, as the plan names it. */
export async function allPages(req: Requester, spec: Call & { paging?: Paging; itemsPath: string }, vars: Vars, vendor: string, accept: number[] = [], name: 'list' | 'lastUsed' = 'list'): Promise<Reply[]> {
  const paging = spec.paging;
  const request = req.describe(spec, vars);
  const size = paging && 'size' in paging ? paging.size : undefined;
  const sizeQuery = paging?.sizeParam && size ? { [paging.sizeParam]: String(size) } : {};
  const pages: Reply[] = [];
  const seen = new Set<string>();
  let next: { query?: Record<string, string>; url?: URL } = { query: paging?.style === 'page' ? { ...sizeQuery, [paging.pageParam]: String(paging.first) } : sizeQuery };
  for (;;) {
    const reply = await req.call(name, spec, vars, { accept, ...(next.url ? { url: next.url } : { query: next.query ?? {} }) });
    pages.push(reply);
    if (!paging || !(reply.status >= 200 && reply.status < 300)) return pages;
    const following = nextPage(paging, reply, pages.length, sizeQuery, req, spec.itemsPath);
    if (!following) return pages;
    const key = following.url?.href ?? JSON.stringify(following.query);
    if (pages.length >= MAX_PAGES || seen.has(key)) {
      throw new KeyrotError('http-unexpected', {
        vendor, call: name, request, status: reply.status, shape: reply.shape, field: `calls.${name}.paging`,
        what: seen.has(key) ? `page ${pages.length} points back to a page already read` : `it still had more after ${MAX_PAGES} pages`,
      });
    }
    seen.add(key);
    next = following;
  }
}

/** The number of keys on a page: its items path finds one list. */
const pageLength = (found: unknown[]) => (found.length === 1 && Array.isArray(found[0]) ? found[0].length : 0);

function nextPage(paging: Paging, reply: Reply, read: number, sizeQuery: Record<string, string>, req: Requester, itemsPath: string) {
  const at = (path: string | undefined) => (path ? findOne(reply.json, path) : undefined);
  if (paging.style === 'page') {
    const pages = at(paging.totalPagesPath);
    const items = at(paging.totalItemsPath);
    const more = typeof pages === 'number' ? read < pages
      : typeof items === 'number' ? read * paging.size < items
      : pageLength(findAll(reply.json, itemsPath)) >= paging.size;
    return more ? { query: { ...sizeQuery, [paging.pageParam]: String(paging.first + read) } } : undefined;
  }
  if (paging.style === 'cursor') {
    const more = paging.morePath ? at(paging.morePath) === true : true;
    const cursor = at(paging.cursorPath);
    return more && (typeof cursor === 'string' || typeof cursor === 'number') && cursor !== '' ? { query: { ...sizeQuery, [paging.param]: String(cursor) } } : undefined;
  }
  const link = at(paging.nextPath);
  return typeof link === 'string' && link !== '' ? { url: req.resolve(link) } : undefined;
}
