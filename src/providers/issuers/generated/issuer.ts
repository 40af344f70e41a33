// A random key for a service you own. The "issuer" is a ledger of key ids, states and fingerprints
// under the state folder; the secret goes only to the stores, whose consumers accept every key
// published there. Deactivating a generated key is done by the stores (they stop serving it).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { KeyrotError } from '../../../errors.js';
import { fingerprint } from '../../../secrets/fingerprint.js';
import type { Credential, KeyInfo, KeyIssuer, ProviderContext } from '../../types.js';
import type { GeneratedIssuerConfig } from './schema.js';

interface LedgerEntry {
  id: string;
  status: 'active' | 'inactive';
  createdAt: string;
  fingerprint: string;
}

const MAX_KEYS = 2;

export function createGeneratedIssuer(config: GeneratedIssuerConfig, ctx: ProviderContext): KeyIssuer {
  const file = path.join(ctx.stateDir, 'generated', `${ctx.planName}.json`);

  async function load(): Promise<LedgerEntry[]> {
    try {
      return (JSON.parse(await readFile(file, 'utf8')) as { keys: LedgerEntry[] }).keys;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async function save(keys: LedgerEntry[]): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  }

  async function update(keyId: string, change: (keys: LedgerEntry[], index: number) => void): Promise<void> {
    const keys = await load();
    const index = keys.findIndex((k) => k.id === keyId);
    if (index < 0) throw new KeyrotError('provider-failed', { provider: 'generated', operation: 'update', reason: `no key ${keyId} in ${file}` });
    change(keys, index);
    await save(keys);
  }

  return {
    label: `generated key (${config.bytes} bytes, ${config.encoding})`,
    maxKeys: MAX_KEYS,

    async list(): Promise<KeyInfo[]> {
      return (await load()).map((k) => ({ id: k.id, status: k.status, createdAt: new Date(k.createdAt), fingerprint: k.fingerprint }));
    },

    async create() {
      const keys = await load();
      if (keys.length >= MAX_KEYS) {
        // The same limit the engine plans for: two keys, the old and the new, never a third.
        throw new KeyrotError('key-limit', { issuer: 'generated', count: keys.length, keys: keys.map((k) => k.id).join(', '), cleanup: 'keyrot abandon, or a finished rotation' });
      }
      const createdAt = ctx.now();
      const id = `key-${randomBytes(6).toString('hex')}`;
      const secret = `${config.prefix}${randomBytes(config.bytes).toString(config.encoding)}`;
      await save([...keys, { id, status: 'active', createdAt: createdAt.toISOString(), fingerprint: fingerprint(secret) }]);
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

    deactivate: (keyId) => update(keyId, (keys, i) => void (keys[i]!.status = 'inactive')),
    reactivate: (keyId) => update(keyId, (keys, i) => void (keys[i]!.status = 'active')),

    async delete(keyId) {
      await save((await load()).filter((k) => k.id !== keyId));
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
      return `generated: ${verbs[op]} (${path.relative(process.cwd(), file)})`;
    },
  };
}
