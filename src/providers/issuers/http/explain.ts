// What each operation of an http issuer does, as `keyrot plan` and messages show it: the vendor's
// method and path with the plan's values filled in ({{keyId}} and {{name}} stay as written), or that
// the vendor cannot do it (no deactivate) or does not report it (no last use).
import type { IssuerOp } from '../../types.js';
import type { Requester } from './request.js';
import type { ResolvedHttp } from './resolve.js';
import type { Vars } from './template.js';

export function explainer(config: ResolvedHttp, req: Requester, vars: Vars): (op: IssuerOp) => string {
  const { calls, vendor } = config;
  return (op: IssuerOp): string => {
    const spec = calls[op];
    const records = op === 'lastUsed' ? calls.lastUsed : undefined;
    if (records?.itemsPath) return `${vendor}: ${req.describe(records, vars)} (the record whose ${records.idPath} is the key id; last use at ${records.atPath})`;
    if (op === 'lastUsed' && !spec) return calls.list.lastUsedPath ? `${vendor}: ${req.describe(calls.list, vars)} (last use at ${calls.list.lastUsedPath})` : `${vendor}: last use is not reported`;
    if (!spec) return `${vendor} cannot ${op} a key: skipped; the old key stays valid until it is deleted after the soak`;
    const proof = calls.verify.expect ? `a 2xx with ${calls.verify.expect.path} in [${calls.verify.expect.equals.join(', ')}]` : 'a 2xx';
    const what = op === 'verify' ? ` with the new key (${proof} proves it)` : '';
    return `${vendor}: ${req.describe(spec, vars)}${what}`; // {{keyId}} and {{name}} stay as written
  };
}
