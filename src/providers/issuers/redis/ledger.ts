// keyrot's own record of a Redis user's passwords (passwords.ts says why Redis needs one): in the
// plan's ledger in keyrot's state store, one entry per password it added or removed, by hash.
import type { LedgerEntry, PlanLedger } from '../../../state/store.js';
import { hashOf, type PasswordKey } from './passwords.js';

export interface PasswordLedger {
  entries(): Promise<LedgerEntry[]>;
  /** Record `key` as `status` (its hash kept); `createdAt` when it is new, `data` added to what was known. */
  record(key: PasswordKey, status: 'active' | 'inactive', createdAt?: string, data?: Record<string, number>): Promise<void>;
  forget(hash: string): Promise<void>;
}

export function passwordLedger(ledger: PlanLedger): PasswordLedger {
  async function change(edit: (entries: LedgerEntry[]) => LedgerEntry[]): Promise<void> {
    const { keys, version } = await ledger.load();
    await ledger.save(edit(keys), version);
  }
  return {
    entries: async () => (await ledger.load()).keys,
    record: (key, status, createdAt, data = {}) =>
      change((entries) => {
        const known = entries.find((e) => hashOf(e) === key.hash);
        return [
          ...entries.filter((e) => e !== known),
          {
            id: key.id, status, createdAt: createdAt ?? known?.createdAt ?? new Date(0).toISOString(), fingerprint: key.fingerprint!,
            issuerData: { ...known?.issuerData, hash: key.hash, ...data },
          },
        ];
      }),
    forget: (hash) => change((entries) => entries.filter((e) => hashOf(e) !== hash)),
  };
}
