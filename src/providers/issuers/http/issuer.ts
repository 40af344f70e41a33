// The http issuer: a vendor's key API driven by the calls the plan (or its preset) describes.
// Loaded only when a plan uses it. The secret comes from the create answer alone; only its
// fingerprint is kept, in the plan's key ledger (as the generated issuer does), so a leaked secret
// can be traced to the key keyrot created for it.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyrotError } from '../../../errors.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import { rememberSecret } from '../../../secrets/redact.js';
import type { LedgerEntry } from '../../../state/store.js';
import { ledgerOf } from '../../ledger.js';
import type { Credential, KeyIssuer, LastUse, ProviderContext } from '../../types.js';
import { refuseAdminKey } from './admin-guard.js';
import { httpDoctor } from './doctor.js';
import { explainer } from './explain.js';
import { checkPaths } from './check-paths.js';
import { asDate, findOne } from './json-path.js';
import { lastUseOf } from './last-used.js';
import { listKeys, type ListedKey } from './listing.js';
import { requester } from './request.js';
import type { ResolvedHttp } from './resolve.js';
import { fillText, stamp, type Vars } from './template.js';
import { verifyKey } from './verify.js';

/** The plan's extra CA (tls.caFile), read once, at the first call that needs it. */
function caReader(config: ResolvedHttp, planDir: string): () => Promise<string | undefined> {
  const caFile = config.tls?.caFile ? path.resolve(planDir, config.tls.caFile) : undefined;
  let ca: Promise<string> | undefined;
  return () => (caFile ? (ca ??= readFile(caFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new KeyrotError('http-credential-missing', { vendor: config.vendor, reason: `cannot read the CA file ${caFile} (${e.code ?? e.message})`, fix: `fix tls.caFile in the plan` });
  })) : Promise.resolve(undefined));
}

export function createHttpIssuer(config: ResolvedHttp, ctx: ProviderContext): KeyIssuer {
  checkPaths(config);
  const { calls, vendor } = config;
  const ledger = ledgerOf(ctx);
  const req = requester(config, { env: ctx.env, planDir: ctx.planDir, note: (m) => ctx.note(m), ca: caReader(config, ctx.planDir) });
  const vars: Vars = { ...config.values, plan: ctx.planName };
  const label = `${vendor}${config.preset ? ` (${config.preset})` : ''} at ${new URL(config.baseUrl).host}`;

  const ledgerEdit = async (edit: (keys: LedgerEntry[]) => LedgerEntry[]) => {
    const { keys, version } = await ledger.load();
    await ledger.save(edit(keys), version);
  };
  /** How many keys, anyone's, the last list showed: a vendor's own limit counts them all. */
  let seenAtVendor = 0;
  const list = async (): Promise<ListedKey[]> => {
    const { keys, seen } = await listKeys(config, req, vars, (await ledger.load()).keys);
    seenAtVendor = seen;
    return keys;
  };
  /** The variables of a call about one key: its id, and the key as listed now ({{item.*}}) where asked for:
   *  listed again, so a full-replace update never sends back what someone changed since. */
  const keyVars = async (keyId: string, op: 'delete' | 'deactivate' | 'reactivate' | 'lastUsed'): Promise<Vars> => {
    const needsItem = JSON.stringify(calls[op] ?? {}).includes('{{item');
    const item = needsItem ? (await list()).find((k) => k.info.id === keyId)?.item : undefined;
    return { ...vars, keyId, ...(item !== undefined ? { item } : {}) };
  };
  const auth = { vendor, env: ctx.env, planDir: ctx.planDir };
  const notAdmin = async (keyId: string, op: 'deactivate' | 'delete') => refuseAdminKey(config, auth, (await ledger.load()).keys, keyId, op);
  const change = (op: 'deactivate' | 'reactivate') => async (keyId: string) => {
    const spec = calls[op];
    if (!spec) throw new KeyrotError('invariant', { phase: op, reason: `${vendor} cannot ${op} a key (the plan has no calls.${op})` });
    if (op === 'deactivate') await notAdmin(keyId, op);
    await req.call(op, spec, await keyVars(keyId, op));
  };

  const explain = explainer(config, req, vars);

  return {
    label,
    maxKeys: config.maxKeys,
    deactivates: Boolean(calls.deactivate),

    list: async () => (await list()).map((k) => k.info),

    async create() {
      const keys = await list();
      if (keys.length >= config.maxKeys) {
        throw new KeyrotError('key-limit', { issuer: label, count: keys.length, keys: keys.map((k) => k.info.id).join(', '), cleanup: `${explain('delete')} for the key no consumer uses` });
      }
      const now = ctx.now();
      const callVars = { ...vars, now: stamp(now), name: fillText(config.keyName, { ...vars, now: stamp(now), nonce: randomBytes(3).toString('hex') }) };
      // A refusal is blamed on the vendor's own limit only when the list shows it reached.
      const { vendorLimit } = calls.create;
      const atVendorLimit = vendorLimit && seenAtVendor >= vendorLimit.max ? { vendorLimit: { ...vendorLimit, held: seenAtVendor } } : {};
      const reply = await req.call('create', calls.create, callVars, atVendorLimit);
      const secret = findOne(reply.json, calls.create.secretPath);
      if (typeof secret === 'string') rememberSecret(secret);
      const id = findOne(reply.json, calls.create.idPath);
      const unexpected = (what: string, field: string) => new KeyrotError('http-unexpected', {
        vendor, call: 'create', request: req.describe(calls.create, callVars), status: reply.status, shape: reply.shape, what, field: `calls.create.${field}`,
      });
      if (typeof id !== 'string' && typeof id !== 'number') throw unexpected(`no new key id at ${calls.create.idPath} (if it created one, the next run finds it by its marker and deletes it)`, 'idPath');
      if (typeof secret !== 'string' || secret === '') {
        // The key exists, but its secret never reached keyrot: delete it now, or the next run will.
        const gone = await req.call('delete', calls.delete, { ...vars, keyId: String(id) }, { accept: calls.delete.goneOn }).then(() => 'deleted again', () => 'left for the next run to delete');
        throw unexpected(`no secret at ${calls.create.secretPath} (key ${id} it created was ${gone})`, 'secretPath');
      }
      const createdAt = (calls.create.createdPath ? asDate(findOne(reply.json, calls.create.createdPath)) : undefined) ?? now;
      await ledgerEdit((keys) => [...keys.filter((k) => k.id !== String(id)), { id: String(id), status: 'active', createdAt: createdAt.toISOString(), fingerprint: fingerprint(secret) }]);
      return { keyId: String(id), secret, createdAt };
    },

    verify: (credential: Credential) => verifyKey(config, req, vars, credential, (m) => ctx.note(m)),

    lastUsed: async (keyId): Promise<LastUse> => lastUseOf(config, req, await keyVars(keyId, 'lastUsed'), keyId, list),

    deactivate: change('deactivate'),
    reactivate: change('reactivate'),

    async delete(keyId) {
      await notAdmin(keyId, 'delete');
      if (calls.delete.listFirst && !(await list()).some((k) => k.info.id === keyId)) {
        await ledgerEdit((keys) => keys.filter((k) => k.id !== keyId));
        return 'gone';
      }
      const reply = await req.call('delete', calls.delete, await keyVars(keyId, 'delete'), { accept: calls.delete.goneOn });
      await ledgerEdit((keys) => keys.filter((k) => k.id !== keyId));
      if (calls.delete.goneOn.includes(reply.status)) return 'gone';
    },

    explain,
    doctor: () => httpDoctor(config, req, vars, ctx.env, ctx.planDir),
  };
}
