// Generated-issuer ledgers in Vault: `ledger/<plan>` holds {ledger: JSON} the plan's keys (ids,
// states, fingerprints; never a secret), written with cas so a lost update is refused.
import { KeyrotError } from '../errors.js';
import type { LedgerEntry, PeekedLedger, PlanLedger } from './store.js';
import { peekViews, type PeekWay } from './vault-mirror.js';
import { ownText, ownView } from './vault-own-text.js';
import type { VaultSpace } from './vault-space.js';

/** The keys a ledger's text holds ([] for none); undefined if it is not a ledger. */
export function ledgerKeysIn(view: string | undefined): LedgerEntry[] | undefined {
  if (view === undefined || view === '') return [];
  try {
    const keys = (JSON.parse(view) as { keys?: unknown }).keys;
    return Array.isArray(keys) ? (keys as LedgerEntry[]) : undefined;
  } catch {
    return undefined;
  }
}

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

  /** The ledger text this process last wrote per plan under its lock, and its KV version: the mirror to write. */
  private readonly wrote = new Map<string, { view: string; version: number }>();

  forget(plan: string): void {
    this.seen.delete(plan);
    this.wrote.delete(plan);
  }

  written(plan: string): { view: string; version: number } | undefined {
    return this.wrote.get(plan);
  }

  /** The ledger's text as this process last read or wrote it under the plan's lock ('' for none); undefined if it does not know. */
  heldView(plan: string): string | undefined {
    return this.locked.has(plan) ? this.seen.get(plan)?.text : undefined;
  }

  /** Many plans' ledgers at once: from their mirrors in OpenBao's detailed listing, else read one by one. */
  async *peek(plans: readonly string[], way?: PeekWay): AsyncGenerator<PeekedLedger[]> {
    // A ledger of the wrong shape throws here: the peek says unknown (keys undefined).
    const ledgerOf = (data: Record<string, unknown> | undefined) => ownView(data, 'ledger');
    for await (const page of peekViews(this.space, 'ledger', plans, ledgerOf, way)) {
      yield page.map(({ name: plan, view, failed }): PeekedLedger => ({ plan, keys: failed ? undefined : ledgerKeysIn(view) }));
    }
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
          seen = { text: ownText(found, 'ledger', where, plan), version: found?.version ?? 0 };
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
          this.wrote.delete(plan); // another wrote after it: what this process wrote is no longer the ledger
          throw new KeyrotError('state-conflict', { plan, expected: version, found: 'a newer ledger' });
        }
        if (this.locked.has(plan)) {
          this.seen.set(plan, { text, version: written });
          this.wrote.set(plan, { view: text, version: written });
        }
        return written;
      },
    };
  }
}
