// The key list: every page, each item (or its detail) read through the plan's JSON paths, and only
// the keys that carry this plan's marker kept: keyrot never lists, counts or touches another key.
// Fingerprints come from the ledger of keys this plan created (the generated issuer's ledger).
import { KeyrotError } from '../../../errors.js';
import type { LedgerEntry } from '../../../state/store.js';
import type { KeyInfo } from '../../types.js';
import { asDate, findAll, findOne } from './json-path.js';
import { allPages } from './paging.js';
import type { Reply, Requester } from './request.js';
import type { ResolvedHttp } from './resolve.js';
import { fillText, type Vars } from './template.js';

export interface ListedKey {
  info: KeyInfo;
  /** The key as the vendor described it (the detail answer where there is one), for {{item.*}}. */
  item: unknown;
  /** The raw last-use value (list.lastUsedPath), undefined when the list does not say. */
  lastUsed: unknown;
}

const ok = (r: Reply) => r.status >= 200 && r.status < 300;

/** This plan's keys; `seen` counts every key listed, anyone's (a vendor's own limit counts them all). */
export async function listKeys(config: ResolvedHttp, req: Requester, vars: Vars, ledger: LedgerEntry[]): Promise<{ keys: ListedKey[]; seen: number }> {
  const spec = config.calls.list;
  const request = req.describe(spec, vars);
  const unexpected = (reply: Reply, what: string, field: string) =>
    new KeyrotError('http-unexpected', { vendor: config.vendor, call: 'list', request, status: reply.status, shape: reply.shape, what, field: `calls.list.${field}` });
  const marker = fillText(config.marker.equals ?? config.marker.prefix ?? '', vars);
  const ours = (value: unknown) => typeof value === 'string' && (config.marker.equals !== undefined ? value === marker : value.startsWith(marker));

  const keys: ListedKey[] = [];
  let seen = 0;
  for (const page of await allPages(req, spec, vars, config.vendor, spec.emptyOn ?? [])) {
    if (!ok(page)) continue; // an emptyOn status: no keys at all
    const found = findAll(page.json, spec.itemsPath);
    if (found.length !== 1 || !Array.isArray(found[0])) throw unexpected(page, `${spec.itemsPath} is not a list of keys`, 'itemsPath');
    seen += (found[0] as unknown[]).length;
    for (const raw of found[0] as unknown[]) {
      const id = findOne(raw, spec.idPath);
      if (typeof id !== 'string' && typeof id !== 'number') throw unexpected(page, `a listed key has no id at ${spec.idPath}`, 'idPath');
      const item = spec.detail ? await detail(req, spec.detail, { ...vars, keyId: String(id) }) : raw;
      if (item === undefined || !ours(findOne(item, config.marker.path))) continue; // gone since, or not keyrot's
      const recorded = ledger.find((k) => k.id === String(id));
      const status = spec.status ? (spec.status.active.includes(findOne(item, spec.status.path) as string) ? 'active' : 'inactive') : 'active';
      const createdAt = (spec.createdPath ? asDate(findOne(item, spec.createdPath)) : undefined) ?? (recorded ? new Date(recorded.createdAt) : new Date(0));
      keys.push({
        info: { id: String(id), status, createdAt, ...(recorded ? { fingerprint: recorded.fingerprint } : {}) },
        item,
        lastUsed: spec.lastUsedPath ? findOne(item, spec.lastUsedPath) ?? null : undefined,
      });
    }
  }
  return { keys: keys.sort((a, b) => a.info.createdAt.getTime() - b.info.createdAt.getTime()), seen };
}

/** One key's detail answer; undefined when it is gone since the list (404). */
async function detail(req: Requester, spec: NonNullable<ResolvedHttp['calls']['list']['detail']>, vars: Vars): Promise<unknown> {
  const reply = await req.call('list (detail)', spec, vars, { accept: [404] });
  return ok(reply) ? reply.json : undefined;
}
