// The questions revoke's owner search asks a plan (src/engine/revoke-asker.ts): a secret's fingerprint
// looked up in the issuer's key list or, first, in keyrot's ledger; a plan that cannot answer named as
// not asked with its first reason; an account that cannot say who holds a key not asked again. The
// issuers and the state backend are in-process fakes; the whole search: revoke-owner.test.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { planAsker } from '../../src/engine/revoke-asker.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import type { KeyInfo, KeyIssuer } from '../../src/providers/types.js';
import type { StateBackend } from '../../src/state/open.js';
import { FakeClock } from '../helpers/fake-clock.js';

interface Fake {
  /** The issuer's list: id and fingerprint of each key; 'fails' when listing fails. */
  keys: Array<{ id: string; fingerprint?: string }> | 'fails';
  /** keyrot's ledger of the plan (fingerprints of the keys it issued); 'fails' when it cannot be read. */
  ledger?: string[] | 'fails';
  /** The account's "who holds this key id?" (undefined: the issuer has none). */
  holderOf?: (keyId: string) => Promise<string | undefined>;
  /** The issuer cannot be built (bad credentials, say). */
  unbuildable?: boolean;
}
let fakes: Map<string, Fake>;
let lists: string[];
let lookups: string[];
beforeEach(() => {
  fakes = new Map();
  lists = [];
  lookups = [];
});

const plan = (name: string, fake: Fake): LoadedPlan => {
  fakes.set(name, fake);
  return { file: `/plans/${name}.yaml`, dir: '/plans', plan: { name, source: { type: 'http' } } } as unknown as LoadedPlan;
};
const buildIssuer = async (loaded: LoadedPlan): Promise<KeyIssuer> => {
  const fake = fakes.get(loaded.plan.name)!;
  if (fake.unbuildable) throw new Error('InvalidClientTokenId');
  const holderOf = fake.holderOf;
  return {
    label: `issuer of ${loaded.plan.name}`,
    ...(holderOf ? { owner: { holderOf: (id: string) => (lookups.push(`${loaded.plan.name} ${id}`), holderOf(id)) } } : {}),
    list: async (): Promise<KeyInfo[]> => {
      lists.push(loaded.plan.name);
      if (fake.keys === 'fails') throw new Error('list refused');
      return fake.keys.map((k) => ({ id: k.id, status: 'active', createdAt: new Date(0), ...(k.fingerprint ? { fingerprint: k.fingerprint } : {}) }));
    },
  } as unknown as KeyIssuer;
};
const states = {
  of: async (loaded: LoadedPlan) => ({
    ledger: () => ({
      load: async () => {
        const ledger = fakes.get(loaded.plan.name)!.ledger ?? [];
        if (ledger === 'fails') throw new Error('ledger unreadable');
        return { keys: ledger.map((fingerprint, i) => ({ id: `key-${i}`, status: 'active', fingerprint })) };
      },
    }),
  }),
} as unknown as StateBackend;
const asker = () => planAsker({ states, emit: () => undefined, clock: new FakeClock(), buildIssuer }, 500);

describe('a secret looked up by its fingerprint', () => {
  it("in the issuer's key list: the key whose fingerprint it is, not the first listed; none, or not asked when the list fails", async () => {
    const holds = plan('holds', { keys: [{ id: 'key-a', fingerprint: 'sha256:aaaa' }, { id: 'key-b', fingerprint: 'sha256:bbbb' }] });
    const broken = plan('broken', { keys: 'fails' });
    const ask = asker();
    expect(await ask.holdsSecret(holds, 'sha256:bbbb', 'list')).toEqual({ plan: holds, keyId: 'key-b' });
    expect(await ask.holdsSecret(holds, 'sha256:cccc', 'list')).toEqual({ plan: holds });
    expect(await ask.holdsSecret(broken, 'sha256:bbbb', 'list')).toEqual({ plan: broken, failed: true });
    expect(lists).toEqual(['holds', 'broken']); // each list asked for once
    expect(ask.failures().get(broken)).toContain('list refused');
    expect(ask.failures().has(holds)).toBe(false);
  });

  it("in keyrot's ledger first: a secret it never issued is not held, and its issuer is not asked", async () => {
    const issued = plan('issued', { keys: [{ id: 'key-a', fingerprint: 'sha256:aaaa' }, { id: 'key-b', fingerprint: 'sha256:bbbb' }], ledger: ['sha256:aaaa', 'sha256:bbbb'] });
    const ask = asker();
    expect(await ask.holdsSecret(issued, 'sha256:cccc', 'ledger')).toEqual({ plan: issued });
    expect(lists).toEqual([]);
    expect(await ask.holdsSecret(issued, 'sha256:bbbb', 'ledger')).toEqual({ plan: issued, keyId: 'key-b' });
    expect(lists).toEqual(['issued']);
  });

  it('a ledger that cannot be read: not asked, with the ledger named as the reason even when the list fails after', async () => {
    const broken = plan('broken', { keys: 'fails', ledger: 'fails' });
    const ask = asker();
    expect(await ask.holdsSecret(broken, 'sha256:aaaa', 'ledger')).toEqual({ plan: broken, failed: true });
    expect(await ask.holdsId(broken, 'key-a')).toEqual({ plan: broken, failed: true });
    expect(ask.failures().get(broken)).toBe('ledger unreadable'); // the first reason, not the later one
    expect(ask.asked(broken)).toBe(true);
  });
});

describe("an account's one-call lookup", () => {
  it('an issuer without one, or that cannot be built: unknown (its plans are then listed), never an error', async () => {
    const alone = plan('alone', { keys: [] });
    const unbuilt = plan('unbuilt', { keys: [], unbuildable: true });
    const ask = asker();
    expect(await ask.holderIn('account-1', alone, 'AKIAAAAAAAAAAAAAAAAB')).toBe('unknown');
    expect(await ask.holderIn('account-2', unbuilt, 'AKIAAAAAAAAAAAAAAAAB')).toBe('unknown');
    expect(ask.failures().get(unbuilt)).toContain('InvalidClientTokenId');
  });

  it('an account whose lookup failed is not asked again, for any key', async () => {
    const member = plan('member', { keys: [], holderOf: async () => { throw new Error('AccessDenied'); } });
    const ask = asker();
    expect(await ask.holderIn('account-1', member, 'AKIAAAAAAAAAAAAAAAAB')).toBe('unknown');
    expect(await ask.holderIn('account-1', member, 'AKIAAAAAAAAAAAAAAAAC')).toBe('unknown');
    expect(lookups).toEqual(['member AKIAAAAAAAAAAAAAAAAB']);
  });
});
