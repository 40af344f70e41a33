// Which plan owns each leaked key. During an incident this must be fast and must not fail because
// some other plan's provider is down: one search for every finding at once, looking in what keyrot
// itself recorded first (state, audit log), then asking only the plans whose issuer could hold the
// key (an AWS id is never asked of a vendor's API; a secret's fingerprint is looked up in the key
// ledgers, or the lists of issuers that keep fingerprints there, never at AWS). Each plan is asked at most once, with a time limit, and a plan that could
// not be asked is remembered and named: it never blocks the search, and never stalls it twice.
import { KeyrotError } from '../errors.js';
import type { LoadedPlan } from '../plan/load.js';
import { keyOwnerOf, keysHeldBy } from '../providers/registry.js';
import type { StateBackend } from '../state/open.js';
import type { RotationState } from '../state/rotation-state.js';
import type { StateStore } from '../state/store.js';
import type { Clock } from './clock.js';
import type { Emit } from './events.js';
import type { buildIssuer } from './providers.js';
import { planAsker, type Answer, type PlanAsker } from './revoke-asker.js';

/** How long one issuer may take to answer "do you hold this key?" before it counts as not asked. */
export const OWNER_QUERY_TIMEOUT_MS = 5_000;

/** What names a leaked key: AWS key ids, and fingerprints of the secrets seen. */
export interface KeyClues {
  keyIds: string[];
  fingerprints: string[];
}

export interface NotAsked {
  plan: LoadedPlan;
  reason: string;
}

/** What became of one finding: its owner, no plan holds it, or it cannot be told (these plans could not be asked). */
export type Verdict =
  | { owner: { plan: LoadedPlan; keyId: string }; fromRecords: boolean }
  | { notHeld: true }
  | { undecided: LoadedPlan[] };

export interface OwnerSearch {
  /** One per finding, in the same order. */
  verdicts: Verdict[];
  /** Every plan that could not be asked, once, with the reason. */
  notAsked: NotAsked[];
  /** Plans that were never asked: every finding was settled without them. */
  unasked: LoadedPlan[];
}

export interface SearchDeps {
  /** Where state lives: keyrot's own records are read first. */
  states: StateBackend;
  emit: Emit;
  clock: Clock;
  timeoutMs?: number;
  /** How a plan's issuer is made: the registry's unless a unit test gives in-process ones. */
  buildIssuer?: typeof buildIssuer;
}

/** Plans whose own records (rotation state, audit log) name one of the key ids: the likely owners. */
async function recordedOwners(plans: LoadedPlan[], keyIds: Set<string>, states: StateBackend): Promise<Map<string, LoadedPlan[]>> {
  const owners = new Map<string, LoadedPlan[]>();
  if (keyIds.size === 0) return owners;
  const byStore = new Map<StateStore, Map<string, LoadedPlan>>();
  const stores = await Promise.all(plans.map((p) => states.of(p).catch(() => undefined)));
  for (const [i, store] of stores.entries()) {
    if (!store) continue;
    const named = byStore.get(store) ?? new Map<string, LoadedPlan>();
    named.set(plans[i]!.plan.name, plans[i]!);
    byStore.set(store, named);
  }
  await Promise.all(
    [...byStore].map(async ([store, inStore]) => {
      // The records read as a status or a --due tick reads them (StateStore.peek: one folder listing or
      // Vault LIST, then only the records that exist), so a thousand plans with no record cost one
      // request, not a thousand; one unreadable record hides only its own plan. The audit log once per store.
      const [saved, records] = await Promise.all([
        (async () => {
          const found: RotationState[] = [];
          for await (const page of store.peek([...inStore.keys()])) for (const p of page) if (p.state) found.push(p.state);
          return found;
        })().catch(() => [] as RotationState[]),
        store.audit.read().catch(() => []),
      ]);
      for (const r of [...saved, ...records]) {
        for (const id of [r.oldKeyId, r.newKeyId]) {
          if (!id || !keyIds.has(id)) continue;
          const plan = inStore.get(r.plan);
          if (plan && !owners.get(id)?.includes(plan)) owners.set(id, [...(owners.get(id) ?? []), plan]);
        }
      }
    }),
  );
  return owners;
}

/** Ask every candidate about one key id; plans of one account share one "who holds it?" call, and are
 *  grouped by what their settings say (keyOwnerOf), so a folder of a thousand plans builds no issuer but
 *  the one asked for the account and the one it names. */
async function askAboutId(asker: PlanAsker, keyId: string, candidates: LoadedPlan[]): Promise<Answer[]> {
  const byScope = new Map<string, Array<{ plan: LoadedPlan; principal: string }>>();
  const direct: LoadedPlan[] = [];
  for (const plan of candidates) {
    const owner = keyOwnerOf(plan.plan.source, process.env);
    if (owner === undefined) direct.push(plan);
    else byScope.set(owner.scope, [...(byScope.get(owner.scope) ?? []), { plan, principal: owner.principal }]);
  }
  const scoped = [...byScope].map(async ([scope, group]): Promise<Answer[]> => {
    if (group.length === 1) return [await asker.holdsId(group[0]!.plan, keyId)]; // one list says as much as the lookup
    const holder = await asker.holderIn(scope, group[0]!.plan, keyId);
    if (holder === 'unknown') return Promise.all(group.map((m) => asker.holdsId(m.plan, keyId)));
    // The account named the holder: that is the answer (no list of its keys to confirm it; the revoke
    // lists them again under the plan's lock before it touches the key, and refuses if it is not there).
    return group.map((m) => (holder !== undefined && m.principal.toLowerCase() === holder.toLowerCase() ? { plan: m.plan, keyId } : { plan: m.plan }));
  });
  return (await Promise.all([Promise.all(direct.map((p) => asker.holdsId(p, keyId))), ...scoped])).flat();
}

function verdictOf(answers: Answer[], clues: KeyClues, fromRecords: boolean): Verdict {
  const holders = new Map<string, { plan: LoadedPlan; keyId: string }>();
  for (const a of answers) if ('keyId' in a) holders.set(`${a.plan.file}#${a.keyId}`, { plan: a.plan, keyId: a.keyId });
  if (holders.size > 1) {
    const named = clues.keyIds[0] ?? `the key with fingerprint ${clues.fingerprints[0]}`;
    throw new KeyrotError('revoke-many-owners', { keyId: named, owners: [...holders.values()].map((h) => `${h.plan.plan.name} (${h.plan.file})`).join(', ') });
  }
  const [owner] = holders.values();
  if (owner) return { owner, fromRecords };
  const unasked = [...new Set(answers.flatMap((a) => ('failed' in a ? [a.plan] : [])))];
  return unasked.length > 0 ? { undecided: unasked } : { notHeld: true };
}

/**
 * The owner of each finding. Several plans holding one key is refused (exit 3) before anything is done;
 * a finding no plan that answered holds is `notHeld`, or `undecided` when a plan that could hold it could not be asked.
 */
export async function findOwners(plans: LoadedPlan[], findings: KeyClues[], deps: SearchDeps): Promise<OwnerSearch> {
  const asker = planAsker(deps, deps.timeoutMs ?? OWNER_QUERY_TIMEOUT_MS);
  const held = new Map(plans.map((p) => [p, keysHeldBy(p.plan.source)]));
  const recorded = await recordedOwners(plans, new Set(findings.flatMap((f) => f.keyIds)), deps.states);

  const settle = async (clues: KeyClues): Promise<Verdict> => {
    // Keyrot's own records first: the plans they name are asked, and if one holds the key, no other is.
    const likely = await Promise.all(clues.keyIds.flatMap((id) => (recorded.get(id) ?? []).map((p) => asker.holdsId(p, id))));
    const first = verdictOf(likely, clues, true);
    if ('owner' in first) return first;
    const answers = await Promise.all([
      ...clues.keyIds.map((id) => askAboutId(asker, id, plans.filter((p) => held.get(p)!.keyIds?.test(id) ?? true))),
      ...clues.fingerprints.map((fp) => Promise.all(plans.flatMap((p) => {
        const where = held.get(p)!.fingerprints;
        return where === false ? [] : [asker.holdsSecret(p, fp, where)];
      }))),
    ]);
    return verdictOf([...likely, ...answers.flat()], clues, false);
  };

  const verdicts = await Promise.all(findings.map(settle));
  return {
    verdicts,
    notAsked: [...asker.failures()].map(([plan, reason]) => ({ plan, reason })),
    unasked: plans.filter((p) => !asker.asked(p)),
  };
}
