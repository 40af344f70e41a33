// Which plan owns a leaked key. During an incident this must be fast and must not fail because some
// other plan's provider is down: look in what keyrot itself recorded first (state, audit log), ask
// only those plans' issuers, and only then ask every other issuer at once, each with a timeout. A
// plan that cannot be asked is skipped and named; it never blocks the search.
import pLimit from 'p-limit';
import { KeyrotError, reasonOf } from '../errors.js';
import type { LoadedPlan } from '../plan/load.js';
import type { KeyInfo, KeyIssuer } from '../providers/types.js';
import type { StateBackend } from '../state/open.js';
import type { StateStore } from '../state/store.js';
import type { Clock } from './clock.js';
import type { Emit } from './events.js';
import { buildIssuer, callProvider } from './providers.js';

/** How long one issuer may take to answer "do you hold this key?" before it counts as not asked. */
export const OWNER_QUERY_TIMEOUT_MS = 5_000;
const OWNER_QUERY_CONCURRENCY = 16;

/** What identifies a leaked key: its id, or (for keys whose issuer records them) its secret's fingerprint. */
export type KeyMatch = { keyId: string } | { fingerprint: string };

export interface NotAsked {
  plan: LoadedPlan;
  reason: string;
}

export interface OwnerSearch {
  /** The owning plan and the key's id there; undefined when no plan that answered holds it. */
  found?: { plan: LoadedPlan; keyId: string };
  notAsked: NotAsked[];
  /** Found through keyrot's own records: the other plans, which were then not asked at all. */
  unneeded?: LoadedPlan[];
}

export interface SearchDeps {
  /** Where state lives: keyrot's own records are read first. */
  states: StateBackend;
  emit: Emit;
  clock: Clock;
  timeoutMs?: number;
}

const describeMatch = (m: KeyMatch) => ('keyId' in m ? m.keyId : `the key with fingerprint ${m.fingerprint}`);
const matches = (m: KeyMatch, k: KeyInfo) => ('keyId' in m ? k.id === m.keyId : k.fingerprint === m.fingerprint);

/** Plans whose own records (rotation state, audit log) name the key id: the likely owners. */
async function recordedOwners(plans: LoadedPlan[], keyId: string, states: StateBackend): Promise<LoadedPlan[]> {
  const byStore = new Map<StateStore, LoadedPlan[]>();
  for (const [i, store] of (await Promise.all(plans.map((p) => states.of(p)))).entries()) byStore.set(store, [...(byStore.get(store) ?? []), plans[i]!]);
  const named = await Promise.all(
    [...byStore].map(async ([store, inStore]) => {
      // Each plan's state read on its own (at once), so one unreadable record hides only its own plan;
      // the audit log once per store, whatever the number of plans.
      const [saved, records] = await Promise.all([
        Promise.all(inStore.map((p) => store.load(p.plan.name).catch(() => undefined))),
        store.audit.read().catch(() => []),
      ]);
      const kept = [...saved.filter((s) => s !== undefined), ...records];
      const names = new Set(kept.filter((r) => r.oldKeyId === keyId || r.newKeyId === keyId).map((r) => r.plan));
      return inStore.filter((p) => names.has(p.plan.name));
    }),
  );
  return named.flat();
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

type Built = { plan: LoadedPlan; issuer: KeyIssuer } | { plan: LoadedPlan; failed: string };
type Answer = { plan: LoadedPlan; key?: KeyInfo } | { plan: LoadedPlan; failed: string };

/** Ask each plan's issuer (only the issuer: a store that cannot be reached does not matter here). */
async function ask(plans: LoadedPlan[], match: KeyMatch, deps: SearchDeps) {
  const limit = pLimit(OWNER_QUERY_CONCURRENCY);
  const timeoutMs = deps.timeoutMs ?? OWNER_QUERY_TIMEOUT_MS;
  const { states } = deps;
  const built = await Promise.all(
    plans.map((plan): Promise<Built> =>
      withTimeout(states.of(plan).then((store) => buildIssuer(plan, store, deps.emit, deps.clock)), timeoutMs)
        .then((issuer) => ({ plan, issuer }), (e: unknown) => ({ plan, failed: reasonOf(e) }))),
  );
  const listed = (b: Built): Promise<Answer> =>
    'failed' in b
      ? Promise.resolve(b)
      : limit(() => withTimeout(callProvider(b.issuer, 'list', () => b.issuer.list()), timeoutMs))
        .then((keys) => ({ plan: b.plan, key: keys.find((k) => matches(match, k)) }), (e: unknown) => ({ plan: b.plan, failed: reasonOf(e) }));

  // An issuer that can name a key id's holder in one call is asked once per account (scope); then
  // only the plan of the principal it names is listed, to confirm. Without an answer, each plan is listed.
  const scopes = new Map<string, { plan: LoadedPlan; issuer: KeyIssuer }[]>();
  const direct: Built[] = [];
  for (const b of built) {
    const scope = 'issuer' in b && 'keyId' in match ? b.issuer.owner?.scope : undefined;
    if (scope === undefined) direct.push(b);
    else scopes.set(scope, [...(scopes.get(scope) ?? []), b as { plan: LoadedPlan; issuer: KeyIssuer }]);
  }
  const byScope = [...scopes.values()].map(async (group): Promise<Answer[]> => {
    if (group.length === 1) return Promise.all(group.map(listed)); // one list says as much as the lookup
    const { issuer } = group[0]!;
    const holder = await limit(() => withTimeout(callProvider(issuer, 'owner', () => issuer.owner!.holderOf((match as { keyId: string }).keyId)), timeoutMs))
      .then((h) => ({ h }), () => undefined);
    if (!holder) return Promise.all(group.map(listed));
    const holds = (b: { issuer: KeyIssuer }) => holder.h !== undefined && b.issuer.owner!.principal.toLowerCase() === holder.h.toLowerCase();
    return Promise.all(group.map((b) => (holds(b) ? listed(b) : { plan: b.plan })));
  });
  const answers = (await Promise.all([Promise.all(direct.map(listed)), ...byScope])).flat();
  return {
    holders: answers.flatMap((a) => ('key' in a && a.key ? [{ plan: a.plan, keyId: a.key.id }] : [])),
    notAsked: answers.flatMap((a) => ('failed' in a ? [{ plan: a.plan, reason: a.failed }] : [])),
  };
}

/**
 * Find the one plan whose issuer holds the key. Several holders is refused (exit 3); none among
 * the plans that answered is `found: undefined` with the plans that could not be asked.
 */
export async function findOwner(plans: LoadedPlan[], match: KeyMatch, deps: SearchDeps): Promise<OwnerSearch> {
  const likely = 'keyId' in match ? await recordedOwners(plans, match.keyId, deps.states) : [];
  let result = likely.length > 0 ? await ask(likely, match, deps) : { holders: [], notAsked: [] };
  if (result.holders.length === 1) return { found: result.holders[0], notAsked: result.notAsked, unneeded: plans.filter((p) => !likely.includes(p)) };
  if (result.holders.length === 0) {
    const rest = await ask(plans.filter((p) => !likely.includes(p)), match, deps);
    result = { holders: rest.holders, notAsked: [...result.notAsked, ...rest.notAsked] };
  }
  if (result.holders.length > 1) {
    throw new KeyrotError('revoke-many-owners', { keyId: describeMatch(match), owners: result.holders.map((h) => `${h.plan.plan.name} (${h.plan.file})`).join(', ') });
  }
  return { found: result.holders[0], notAsked: result.notAsked };
}
