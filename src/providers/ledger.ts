// The plan's key ledger in keyrot's state store (a file, or Vault with --state vault://), as the engine
// hands it to an issuer that keeps its keys' ids, states and fingerprints there (generated, http):
// never a secret, and every save checked against the version loaded.
import type { PlanLedger } from '../state/store.js';
import type { ProviderContext } from './types.js';

export function ledgerOf(ctx: ProviderContext): PlanLedger {
  if (!ctx.ledger) throw new Error(`the issuer of plan ${ctx.planName} keeps its keys in the state store's ledger, and none was handed to it`);
  return ctx.ledger;
}
