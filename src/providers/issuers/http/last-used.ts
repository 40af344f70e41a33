// When a key was last used, where the vendor reports it: in the key list (list.lastUsedPath), in
// one call about the key (lastUsed.atPath), or in a list of usage records, one per key, paged
// (lastUsed.itemsPath + idPath: OpenAI reports a service account's key use on the project's key
// list, not on the account). A key the vendor does not report on is "not reported", never "unused".
import type { LastUse } from '../../types.js';
import { asDate, findAll, findOne } from './json-path.js';
import type { ListedKey } from './listing.js';
import { allPages } from './paging.js';
import type { Requester } from './request.js';
import type { ResolvedHttp } from './resolve.js';
import type { Vars } from './template.js';

const at = (value: unknown): LastUse => ({ reported: true, at: value === undefined ? null : (asDate(value) ?? null) });

export async function lastUseOf(config: ResolvedHttp, req: Requester, vars: Vars, keyId: string, listed: () => Promise<ListedKey[]>): Promise<LastUse> {
  const spec = config.calls.lastUsed;
  if (spec?.itemsPath && spec.idPath) {
    for (const page of await allPages(req, { ...spec, itemsPath: spec.itemsPath }, vars, config.vendor, [], 'lastUsed')) {
      const records = findAll(page.json, spec.itemsPath)[0];
      if (!Array.isArray(records)) continue;
      const record = records.find((r) => String(findOne(r, spec.idPath!)) === keyId);
      if (record !== undefined) return at(findOne(record, spec.atPath));
    }
    return { reported: false };
  }
  if (spec) {
    const reply = await req.call('lastUsed', spec, vars);
    return at(findOne(reply.json, spec.atPath));
  }
  if (!config.calls.list.lastUsedPath) return { reported: false };
  const key = (await listed()).find((k) => k.info.id === keyId);
  if (!key) return { reported: false };
  return at(key.lastUsed === null ? undefined : key.lastUsed);
}
