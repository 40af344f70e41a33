// A random key for a service you own. The "issuer" is a ledger of key ids, states and fingerprints
// in keyrot's state store; the secret goes only to the stores, whose consumers accept every key
// published there. Deactivating a generated key is done by the stores (they stop serving it).
import { randomBytes } from 'node:crypto';
import { KeyrotError } from '../../../errors.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import type { LedgerEntry } from '../../../state/store.js';
import { ledgerOf } from '../../ledger.js';
import type { Credential, KeyInfo, KeyIssuer, ProviderContext } from '../../types.js';
import type { GeneratedIssuerConfig } from './schema.js';

const MAX_KEYS = 2;

export function createGeneratedIssuer(config: GeneratedIssuerConfig, ctx: ProviderContext): KeyIssuer {
  // The ledger lives in keyrot's state store (a file, or Vault with --state vault://), handed over by
  // the engine; every save is checked against the version loaded.
  const ledger = ledgerOf(ctx);
  const where = ledger.where;

  const load = async (): Promise<LedgerEntry[]> => (await ledger.load()).keys;

  async function change(fn: (keys: LedgerEntry[]) => LedgerEntry[]): Promise<void> {
    const { keys, version } = await ledger.load();
    await ledger.save(fn(keys), version);
  }

  async function update(keyId: string, edit: (key: LedgerEntry) => void): Promise<void> {
    await change((keys) => {
      const key = keys.find((k) => k.id === keyId);
      if (!key) throw new KeyrotError('provider-failed', { provider: 'generated', operation: 'update', reason: `no key ${keyId} in ${where}` });
      edit(key);
      return keys;
    });
  }

  return {
    label: `generated key (${config.bytes} bytes, ${config.encoding})`,
    maxKeys: MAX_KEYS,

    async list(): Promise<KeyInfo[]> {
      return (await load()).map((k) => ({ id: k.id, status: k.status, createdAt: new Date(k.createdAt), fingerprint: k.fingerprint }));
    },

    async create() {
      const { keys, version } = await ledger.load();
      if (keys.length >= MAX_KEYS) {
        // The same limit the engine plans for: two keys, the old and the new, never a third.
        throw new KeyrotError('key-limit', { issuer: 'generated', count: keys.length, keys: keys.map((k) => k.id).join(', '), cleanup: 'keyrot abandon, or a finished rotation' });
      }
      const createdAt = ctx.now();
      const id = `key-${randomBytes(6).toString('hex')}`;
      const secret = `${config.prefix}${randomBytes(config.bytes).toString(config.encoding)}`;
      await ledger.save([...keys, { id, status: 'active', createdAt: createdAt.toISOString(), fingerprint: fingerprint(secret) }], version);
      return { keyId: id, secret, createdAt };
    },

    // A service we own cannot be asked; prove instead that the secret is the one minted under this id.
    async verify(credential: Credential) {
      const entry = (await load()).find((k) => k.id === credential.keyId);
      if (!entry || entry.status !== 'active' || entry.fingerprint !== fingerprint(credential.secret)) {
        throw new KeyrotError('verify-failed', { keyId: credential.keyId, reason: 'not an active key minted by this plan, or its secret differs' });
      }
    },

    async lastUsed() {
      return { reported: false } as const;
    },

    deactivate: (keyId) => update(keyId, (key) => void (key.status = 'inactive')),
    reactivate: (keyId) => update(keyId, (key) => void (key.status = 'active')),

    async delete(keyId) {
      await change((keys) => keys.filter((k) => k.id !== keyId));
    },

    explain(op) {
      const verbs = {
        list: 'read the key ledger',
        create: `generate ${config.bytes} random bytes and record the new key id`,
        verify: 'check the read-back secret matches the minted fingerprint',
        lastUsed: 'last use is not reported (consumers are yours)',
        deactivate: 'mark the key inactive in the ledger',
        reactivate: 'mark the key active in the ledger',
        delete: 'remove the key from the ledger',
      } as const;
      return `generated: ${verbs[op]} (${where})`;
    },
  };
}
