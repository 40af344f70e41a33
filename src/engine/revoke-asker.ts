// The questions revoke's owner search asks each plan, each asked at most once per command: the
// issuer built once, its keys listed once, its ledger read once, an account's "who holds this id?"
// once per id. A plan whose issuer could not be built or did not answer in time is remembered with
// the reason and not asked again, so one stalled provider costs one time limit, not one per finding.
import pLimit from 'p-limit';
import { reasonOf } from '../errors.js';
import type { LoadedPlan } from '../plan/load.js';
import type { KeyInfo, KeyIssuer } from '../providers/types.js';
import type { LedgerEntry } from '../state/store.js';
import type { Clock } from './clock.js';
import type { Emit } from './events.js';
import { buildIssuer, callProvider } from './providers.js';
import type { StateBackend } from '../state/open.js';

const PROVIDER_CALLS_AT_ONCE = 16;

/** One plan's answer about one key: it holds it (under this id), it does not, or it could not be asked. */
export type Answer = { plan: LoadedPlan; keyId: string } | { plan: LoadedPlan } | { plan: LoadedPlan; failed: true };

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface PlanAsker {
  /** The plan's issuer, or undefined when it could not be built (remembered as not asked). */
  issuer(plan: LoadedPlan): Promise<KeyIssuer | undefined>;
  /** Does the plan's issuer list this key id? */
  holdsId(plan: LoadedPlan, keyId: string): Promise<Answer>;
  /** Does the plan hold the key whose secret has this fingerprint? `where` its issuer keeps fingerprints:
   *  'ledger' (read first; its issuer's list is asked only when the ledger has it) or its 'list'. */
  holdsSecret(plan: LoadedPlan, fingerprint: string, where: 'ledger' | 'list'): Promise<Answer>;
  /** The principal of an account (scope) that holds a key id; 'unknown' when the account could not say. */
  holderIn(scope: string, plan: LoadedPlan, keyId: string): Promise<string | undefined | 'unknown'>;
  failures(): Map<LoadedPlan, string>;
  asked(plan: LoadedPlan): boolean;
}

/** `buildIssuer`: how a plan's issuer is made (the registry's; unit tests give in-process ones). */
export function planAsker(deps: { states: StateBackend; emit: Emit; clock: Clock; buildIssuer?: typeof buildIssuer }, timeoutMs: number): PlanAsker {
  const build = deps.buildIssuer ?? buildIssuer;
  const limit = pLimit(PROVIDER_CALLS_AT_ONCE);
  const failed = new Map<LoadedPlan, string>();
  const touched = new Set<LoadedPlan>();
  const issuers = new Map<LoadedPlan, Promise<KeyIssuer | undefined>>();
  const lists = new Map<LoadedPlan, Promise<KeyInfo[] | undefined>>();
  const ledgers = new Map<LoadedPlan, Promise<LedgerEntry[] | undefined>>();
  const holders = new Map<string, Promise<string | undefined | 'unknown'>>();
  const scopesDown = new Set<string>();

  const once = <K, V>(memo: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> => {
    let promise = memo.get(key);
    if (!promise) memo.set(key, (promise = make()));
    return promise;
  };
  /** The plan's work, bounded in time; a failure marks the plan as not asked and yields undefined. */
  const attempt = <T>(plan: LoadedPlan, work: () => Promise<T>): Promise<T | undefined> => {
    touched.add(plan);
    return withTimeout(work(), timeoutMs).catch((e: unknown) => {
      if (!failed.has(plan)) failed.set(plan, reasonOf(e));
      return undefined;
    });
  };

  const issuer = (plan: LoadedPlan) =>
    once(issuers, plan, () => attempt(plan, async () => build(plan, await deps.states.of(plan), deps.emit, deps.clock)));
  const keys = (plan: LoadedPlan) =>
    once(lists, plan, async () => {
      const built = await issuer(plan);
      return built && limit(() => attempt(plan, () => callProvider(built, 'list', () => built.list())));
    });
  const ledger = (plan: LoadedPlan) =>
    once(ledgers, plan, () => attempt(plan, async () => (await (await deps.states.of(plan)).ledger(plan.plan.name).load()).keys));

  const answer = (plan: LoadedPlan, found: KeyInfo[] | undefined, match: (k: KeyInfo) => boolean): Answer => {
    if (!found) return { plan, failed: true };
    const key = found.find(match);
    return key ? { plan, keyId: key.id } : { plan };
  };

  return {
    issuer,
    holdsId: async (plan, keyId) => answer(plan, await keys(plan), (k) => k.id === keyId),
    async holdsSecret(plan, fp, where) {
      if (where === 'list') return answer(plan, await keys(plan), (k) => k.fingerprint === fp);
      // The ledger, read from keyrot's state, says whether the plan ever issued that secret; only
      // then is its issuer asked whether the key is still there.
      const entries = await ledger(plan);
      if (!entries) return { plan, failed: true };
      if (!entries.some((e) => e.fingerprint === fp)) return { plan };
      return answer(plan, await keys(plan), (k) => k.fingerprint === fp);
    },
    holderIn(scope, plan, keyId) {
      if (scopesDown.has(scope)) return Promise.resolve('unknown' as const);
      return once(holders, `${scope}\n${keyId}`, async () => {
        const built = await issuer(plan);
        if (!built?.owner) return 'unknown' as const;
        const owner = built.owner;
        try {
          return await limit(() => withTimeout(callProvider(built, 'owner', () => owner.holderOf(keyId)), timeoutMs));
        } catch {
          scopesDown.add(scope); // each plan of that account is listed instead, and the account not asked again
          return 'unknown' as const;
        }
      });
    },
    failures: () => failed,
    asked: (plan) => touched.has(plan),
  };
}
