// revoke's owner search over AWS-style plans, in-process: several plans of one account share one
// "who holds this key id?" call (aws-iam's GetAccessKeyLastUsed, issuer.owner; plans grouped by account
// from their settings), and its answer names the plan; an account that cannot answer has each of its plans listed
// instead, and is not asked again; a plan that does not answer in time is named as not asked; keyrot's
// own records that cannot be read, or name a plan not searched, leave the issuers to ask. The
// issuers are in-process fakes (given as the search's buildIssuer); the same on moto: test/e2e/revoke-search.e2e.test.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { KeyInfo, KeyIssuer } from '../../src/providers/types.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import type { StateBackend } from '../../src/state/open.js';
import { findOwners } from '../../src/engine/revoke-owner.js';
import { FakeClock } from '../helpers/fake-clock.js';

interface FakeAccountIssuer {
  keys: string[];
  lists: number;
  /** Its account and IAM user, when it has the one-call lookup. */
  owner?: { scope: string; principal: string };
  /** The list never answers. */
  hangs?: boolean;
  /** The issuer cannot be built (bad credentials, say). */
  unbuildable?: boolean;
}
const fakes = ({
  byPlan: new Map<string, FakeAccountIssuer>(),
  /** Per account: who holds which key id (undefined: nobody), or 'fails' when the lookup fails. */
  accounts: new Map<string, Map<string, string> | 'fails'>(),
  lookups: [] as string[],
});

/** The plan's fake issuer, as buildIssuer would make it. */
const buildIssuer = async (loaded: LoadedPlan): Promise<KeyIssuer> => {
  const fake = fakes.byPlan.get(loaded.plan.name)!;
  if (fake.unbuildable) throw new Error('InvalidClientTokenId');
  const owner = fake.owner && {
    ...fake.owner,
    holderOf: async (keyId: string) => {
      fakes.lookups.push(`${fake.owner!.scope} ${keyId}`);
      const account = fakes.accounts.get(fake.owner!.scope);
      if (account === 'fails') throw new Error('AccessDenied');
      return account?.get(keyId);
    },
  };
  return {
    label: `aws-iam ${loaded.plan.name}`,
    ...(owner ? { owner } : {}),
    list: async (): Promise<KeyInfo[]> => {
      fake.lists++;
      if (fake.hangs) return new Promise(() => undefined);
      return fake.keys.map((id) => ({ id, status: 'active', createdAt: new Date(0) }));
    },
  } as unknown as KeyIssuer;
};

/** A plan of an IAM user; plans with the same profile are in one account (keyOwnerOf, from the settings alone). */
const plan = (name: string, user?: { profile: string; user: string }): LoadedPlan =>
  ({ file: `/plans/${name}.yaml`, dir: '/plans', plan: { name, source: { type: 'aws-iam', ...user } } }) as unknown as LoadedPlan;
/** keyrot's own records are empty: only the issuers can say who holds a key. */
const states: StateBackend = {
  spec: undefined,
  of: async () => ({ load: async () => undefined, audit: { read: async () => [] } }) as never,
  stores: async () => [],
};
const deps = { states, emit: () => undefined, clock: new FakeClock(), timeoutMs: 200, buildIssuer };
const KEY = 'AKIAAAAAAAAAAAAAAAAB';
const OTHER = 'AKIAAAAAAAAAAAAAAAAC';

function account(scope: string, holders: Record<string, string> | 'fails', plans: Record<string, { principal: string; keys: string[] }>): LoadedPlan[] {
  fakes.accounts.set(scope, holders === 'fails' ? 'fails' : new Map(Object.entries(holders)));
  return Object.entries(plans).map(([name, p]) => {
    fakes.byPlan.set(name, { keys: p.keys, lists: 0, owner: { scope, principal: p.principal } });
    return plan(name, { profile: scope, user: p.principal });
  });
}
const lists = (name: string) => fakes.byPlan.get(name)!.lists;
const ownerOf = (v: unknown) => (v as { owner?: { plan: LoadedPlan; keyId: string } }).owner;

beforeEach(() => {
  fakes.byPlan.clear();
  fakes.accounts.clear();
  fakes.lookups.length = 0;
});

describe('the one-call owner lookup of an account (aws-iam)', () => {
  it('asks the account once, and names the plan of the user it names (whatever the case of the name), listing none', async () => {
    const plans = account('123456789012', { [KEY]: 'Billing-App' }, {
      api: { principal: 'api-app', keys: [OTHER] },
      billing: { principal: 'billing-app', keys: [KEY] },
      batch: { principal: 'batch-app', keys: [] },
    });
    const search = await findOwners(plans, [{ keyIds: [KEY], fingerprints: [] }], deps);
    expect(ownerOf(search.verdicts[0])?.plan.plan.name).toBe('billing');
    expect(ownerOf(search.verdicts[0])?.keyId).toBe(KEY);
    expect(fakes.lookups).toEqual([`123456789012 ${KEY}`]);
    // The account's answer is the answer: no plan's keys are listed (the revoke lists them again under the plan's lock).
    expect([lists('api'), lists('billing'), lists('batch')]).toEqual([0, 0, 0]);
    expect(search.notAsked).toEqual([]);
  });

  it('a key nobody in the account holds: not held, and no plan listed', async () => {
    const plans = account('123456789012', {}, {
      api: { principal: 'api-app', keys: [OTHER] },
      billing: { principal: 'billing-app', keys: [] },
    });
    const search = await findOwners(plans, [{ keyIds: [KEY], fingerprints: [] }], deps);
    expect(search.verdicts).toEqual([{ notHeld: true }]);
    expect([lists('api'), lists('billing')]).toEqual([0, 0]);
  });

  it('an account that cannot answer: each of its plans is listed instead (once, whatever the number of keys)', async () => {
    const plans = account('123456789012', 'fails', {
      api: { principal: 'api-app', keys: [OTHER] },
      billing: { principal: 'billing-app', keys: [KEY] },
    });
    const search = await findOwners(plans, [{ keyIds: [KEY], fingerprints: [] }, { keyIds: [OTHER], fingerprints: [] }], deps);
    expect(search.verdicts.map((v) => ownerOf(v)?.plan.plan.name)).toEqual(['billing', 'api']);
    expect(new Set(fakes.lookups).size).toBe(fakes.lookups.length); // each key asked of the account at most once
    expect([lists('api'), lists('billing')]).toEqual([1, 1]);
  });

  it('a plan alone in its account is listed directly: one list says as much as the lookup', async () => {
    const plans = account('123456789012', { [KEY]: 'api-app' }, { api: { principal: 'api-app', keys: [KEY] } });
    const search = await findOwners(plans, [{ keyIds: [KEY], fingerprints: [] }], deps);
    expect(ownerOf(search.verdicts[0])?.plan.plan.name).toBe('api');
    expect(fakes.lookups).toEqual([]);
  });

  it('accounts are told apart: a principal of the same name in another account is not the holder', async () => {
    const plans = [
      ...account('111111111111', { [KEY]: 'app' }, { prod: { principal: 'app', keys: [KEY] }, prodjobs: { principal: 'jobs', keys: [] } }),
      ...account('222222222222', {}, { staging: { principal: 'app', keys: [] }, stagingjobs: { principal: 'jobs', keys: [] } }),
    ];
    const search = await findOwners(plans, [{ keyIds: [KEY], fingerprints: [] }], deps);
    expect(ownerOf(search.verdicts[0])?.plan.plan.name).toBe('prod');
    expect([lists('staging'), lists('stagingjobs'), lists('prodjobs')]).toEqual([0, 0, 0]);
  });
});

describe('plans that cannot be asked', () => {
  it('a plan whose issuer does not answer in time, or cannot be built, is named as not asked, and the finding is undecided', async () => {
    fakes.byPlan.set('slow', { keys: [KEY], lists: 0, hangs: true });
    fakes.byPlan.set('broken', { keys: [], lists: 0, unbuildable: true });
    fakes.byPlan.set('fine', { keys: [], lists: 0 });
    const plans = [plan('slow'), plan('broken'), plan('fine')];
    const started = Date.now();
    const search = await findOwners(plans, [{ keyIds: [KEY], fingerprints: [] }, { keyIds: [OTHER], fingerprints: [] }], deps);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(search.verdicts.map((v) => ('undecided' in v ? v.undecided.map((p) => p.plan.name).sort() : v))).toEqual([['broken', 'slow'], ['broken', 'slow']]);
    expect(search.notAsked.map((n) => `${n.plan.plan.name}: ${n.reason}`).sort()).toEqual(['broken: InvalidClientTokenId', 'slow: no answer within 0.2s']);
    expect(lists('slow')).toBe(1); // asked once, not once per finding
  });
});

describe('plans that cannot hold the finding are not asked about it', () => {
  it('a key id of another shape (not an AWS access key id): no AWS plan is asked, so one that would not answer leaves it not held, not undecided', async () => {
    fakes.byPlan.set('slow', { keys: [KEY], lists: 0, hangs: true });
    const search = await findOwners([plan('slow')], [{ keyIds: ['key-0000000000aa'], fingerprints: [] }], deps);
    expect(search.verdicts).toEqual([{ notHeld: true }]);
    expect([lists('slow'), search.notAsked.length]).toEqual([0, 0]);
  });

  it('a secret (by its fingerprint) and plans whose issuer cannot look one up: none asked, not held', async () => {
    fakes.byPlan.set('slow', { keys: [KEY], lists: 0, hangs: true });
    fakes.byPlan.set('fine', { keys: [OTHER], lists: 0 });
    const search = await findOwners([plan('slow'), plan('fine')], [{ keyIds: [], fingerprints: ['sha256:0123456789ab'] }], deps);
    expect(search.verdicts).toEqual([{ notHeld: true }]);
    expect([lists('slow'), lists('fine'), search.notAsked.length]).toEqual([0, 0, 0]);
  });
});

describe("keyrot's own records, when they cannot help", () => {
  /** One state folder shared by the plans searched (and maybe others): its audit log, or a failure to read it. */
  const recordsOf = (audit: () => Promise<unknown[]>, cannotOpen: string[] = []): StateBackend => {
    const store = { load: async () => undefined, peek: async function* () {}, audit: { read: audit } };
    return { spec: undefined, of: async (p: LoadedPlan) => (cannotOpen.includes(p.plan.name) ? Promise.reject(new Error('EACCES')) : store) as never, stores: async () => [] };
  };
  const twoPlans = () => {
    fakes.byPlan.set('api', { keys: [OTHER], lists: 0 });
    fakes.byPlan.set('billing', { keys: [KEY], lists: 0 });
    return [plan('api'), plan('billing')];
  };
  /** The owner found, and the plans named as not asked (a warning each). */
  const search = async (states: StateBackend) => {
    const found = await findOwners(twoPlans(), [{ keyIds: [KEY], fingerprints: [] }], { ...deps, states });
    return { owner: ownerOf(found.verdicts[0])?.plan.plan.name, notAsked: found.notAsked.map((n) => `${n.plan?.plan.name}: ${n.reason}`) };
  };

  it('an audit log naming a plan not searched (another plan of the shared state folder): that plan is skipped, the issuers are asked', async () => {
    const elsewhere = { at: '2026-01-01T00:00:00Z', plan: 'payments', rotationId: 'r1', phase: 'create', action: 'create-key', outcome: 'ok', detail: '', oldKeyId: KEY, newKeyId: KEY };
    expect(await search(recordsOf(async () => [elsewhere]))).toEqual({ owner: 'billing', notAsked: [] });
  });

  it('an audit log that cannot be read, or a plan whose state cannot be opened: the other plans\' issuers are asked all the same', async () => {
    expect(await search(recordsOf(() => Promise.reject(new Error('EIO'))))).toEqual({ owner: 'billing', notAsked: [] });
    // The plan whose state cannot be opened cannot be asked either: named, with why; the owner is found without it.
    expect(await search(recordsOf(async () => [], ['api']))).toEqual({ owner: 'billing', notAsked: ['api: EACCES'] });
  });
});
