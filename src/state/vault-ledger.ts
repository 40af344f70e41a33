// Generated-issuer ledgers in Vault: `ledger/<plan>` holds {ledger: JSON} the plan's keys (ids,
// states, fingerprints; never a secret), written with cas so a lost update is refused.
import { KeyrotError } from '../errors.js';
import type { LedgerEntry, PlanLedger } from './store.js';
import type { VaultSpace } from './vault-space.js';

export class VaultLedgers {
  /**
   * Per plan whose lock this process holds, its key ledger as last read or written here: every ledger
   * write happens under the plan's lock, so it cannot change meanwhile (and a save still carries cas).
   */
  private readonly seen = new Map<string, { text: string; version: number }>();

  constructor(
    private readonly space: VaultSpace,
    private readonly locked: ReadonlySet<string>,
  ) {}

  forget(plan: string): void {
    this.seen.delete(plan);
  }

  plans(): Promise<string[]> {
    return this.space.names('ledger');
  }

  ledger(plan: string): PlanLedger {
    const where = this.space.where('ledger', plan);
    return {
      where,
      load: async () => {
        let seen = this.seen.get(plan);
        if (!seen) {
          const found = await (await this.space.kv('ledger', plan)).read();
          const text = found?.data?.ledger;
          seen = { text: typeof text === 'string' ? text : '', version: found?.version ?? 0 };
          if (this.locked.has(plan)) this.seen.set(plan, seen);
        }
        const { text, version } = seen;
        if (text === '') return { keys: [] as LedgerEntry[], version };
        try {
          // Parsed on every load: each caller gets its own copy to change.
          const keys = (JSON.parse(text) as { keys: LedgerEntry[] }).keys;
          if (!Array.isArray(keys)) throw new Error('no "keys" list');
          return { keys, version };
        } catch (e) {
          this.seen.delete(plan);
          throw new KeyrotError('state-corrupt', { path: where, plan, reason: `the key ledger is not readable (${(e as Error).message})` });
        }
      },
      save: async (keys, version) => {
        const text = JSON.stringify({ keys });
        const written = await (await this.space.kv('ledger', plan)).write({ ledger: text }, version, []);
        if (written === 'cas-mismatch') {
          this.seen.delete(plan);
          throw new KeyrotError('state-conflict', { plan, expected: version, found: 'a newer ledger' });
        }
        if (this.locked.has(plan)) this.seen.set(plan, { text, version: written });
        return written;
      },
    };
  }
}
