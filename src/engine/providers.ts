// The plan's providers, built through the registry, and the one wrapper every provider call goes
// through so a failure names the provider and the operation (and never a secret).
import type { Clock } from './clock.js';
import type { Emit } from './events.js';
import { KeyrotError, reasonOf } from '../errors.js';
import type { LoadedPlan } from '../plan/load.js';
import { createIssuer, createStore, createUsageSource } from '../providers/registry.js';
import type { KeyIssuer, ProviderContext, SecretStore } from '../providers/types.js';
import type { UsageSource } from '../providers/usage/source.js';
import { redact } from '../secrets/redact.js';
import { originOnly } from '../secrets/urls.js';
import type { LedgerEntry, PlanLedger, StateStore } from '../state/store.js';

export interface Providers {
  issuer: KeyIssuer;
  stores: SecretStore[];
  /** Evidence of use from the service's own metrics (the plan's `usage` block), if it has one. */
  usage?: UsageSource;
}

/** `state`: the plan's state store; its ledger keeps generated keys (or `ledger`, one read already). */
const providerContext = (loaded: LoadedPlan, state: StateStore, emit: Emit, clock: Clock, ledger?: PlanLedger): ProviderContext => ({
  planName: loaded.plan.name,
  planDir: loaded.dir,
  stateDir: state.location,
  ledger: ledger ?? state.ledger(loaded.plan.name),
  env: process.env,
  now: () => clock.now(),
  note: (message) => emit({ type: 'note', plan: loaded.plan.name, message: redact(message) }),
});

/** Only the issuer: for questions about keys, where the stores do not matter (revoke's owner search, status). */
export function buildIssuer(loaded: LoadedPlan, state: StateStore, emit: Emit, clock: Clock, ledger?: PlanLedger): Promise<KeyIssuer> {
  return createIssuer(loaded.plan.source, providerContext(loaded, state, emit, clock, ledger));
}

/** A ledger already read (StateStore.peekLedgers), for an issuer only asked its keys (status, a --due
 *  check before the lock): it cannot be written; the lock holder builds its issuer on the real one. */
export const readLedger = (where: string, keys: LedgerEntry[]): PlanLedger => ({
  where,
  load: async () => ({ keys: structuredClone(keys), version: 0 }),
  save: () => Promise.reject(new Error(`${where} was read without the plan's lock: it is not written through this copy`)),
});

/** Each provider built on its own, so one that cannot be set up hides none of the others (keyrot doctor). */
export function buildEach(
  loaded: LoadedPlan, state: StateStore, emit: Emit, clock: Clock,
): { issuer: Promise<KeyIssuer>; stores: Array<Promise<SecretStore>>; usage?: Promise<UsageSource> } {
  const ctx = providerContext(loaded, state, emit, clock);
  return {
    issuer: createIssuer(loaded.plan.source, ctx),
    stores: loaded.plan.publish.map((config) => createStore(config, ctx)),
    ...(loaded.plan.usage ? { usage: createUsageSource(loaded.plan.usage, ctx) } : {}),
  };
}

export async function buildProviders(loaded: LoadedPlan, state: StateStore, emit: Emit, clock: Clock): Promise<Providers> {
  const ctx = providerContext(loaded, state, emit, clock);
  const issuer = await createIssuer(loaded.plan.source, ctx);
  const stores = await Promise.all(loaded.plan.publish.map((config) => createStore(config, ctx)));
  const usage = loaded.plan.usage ? await createUsageSource(loaded.plan.usage, ctx) : undefined;
  return { issuer, stores, ...(usage ? { usage } : {}) };
}

export async function callProvider<T>(provider: { label: string }, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof KeyrotError) throw e;
    // A library's message may quote a URL with a token in it: only its origin goes on.
    throw new KeyrotError('provider-failed', { provider: provider.label, operation, reason: redact(originOnly(reasonOf(e))) });
  }
}
