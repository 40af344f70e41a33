// keyrot status's read of a state store (StateStore.peekPlans) from its three per-purpose peeks: the
// audit summaries and the ledgers first (kept for the plans asked), then the records a page at a time,
// each page answered with what belongs to its plans. The file store's way; the Vault store's for the
// plans its lock listing does not answer (vault-peek-plans.ts).
import type { AuditSummary } from '../audit/log.js';
import type { LedgerEntry, PeekedPlan, StateStore } from './store.js';

export type SeparatePeeks = Pick<StateStore, 'peek' | 'peekLedgers'> & { audit: Pick<StateStore['audit'], 'summaries'> };

export async function* peekSeparately(store: SeparatePeeks, plans: readonly string[], ledgered: ReadonlySet<string>): AsyncGenerator<PeekedPlan[]> {
  const audits = await store.audit.summaries(plans).catch(() => new Map<string, AuditSummary>());
  const ledgers = new Map<string, LedgerEntry[]>();
  const asked = plans.filter((plan) => ledgered.has(plan));
  if (asked.length > 0) {
    for await (const page of store.peekLedgers(asked)) for (const { plan, keys } of page) if (keys) ledgers.set(plan, keys);
  }
  for await (const page of store.peek(plans)) {
    yield page.map((peeked) => withParts(peeked, ledgers.get(peeked.plan), audits.get(peeked.plan)));
  }
}

/** A record's peek with its ledger and audit summary, each only when there is one. */
export function withParts<T extends object>(peeked: T, ledger: LedgerEntry[] | undefined, audit: AuditSummary | undefined): T & Pick<PeekedPlan, 'ledger' | 'audit'> {
  return { ...peeked, ...(ledger ? { ledger } : {}), ...(audit ? { audit } : {}) };
}
