// keyrot status's read of Vault state (src/state/vault-peek-plans.ts) over an in-memory lock/ folder
// listed as OpenBao's detailed listing lists it (keys in order, strictly after `after`, `limit` at most):
// more plans than two listing pages are listed by two listings at once, each plan answered exactly
// once; a listing started before the plans were known is used; plans the copies do not answer are
// read the per-purpose way, for those plans only. The same against OpenBao: test/contracts/vault-state.contract.test.ts.
import { describe, expect, it } from 'vitest';
import { newRotation } from '../../src/engine/rotation.js';
import type { PeekedPlan } from '../../src/state/store.js';
import { lockMirrorOf } from '../../src/state/vault-lock-mirror.js';
import { LISTED_PER_PAGE } from '../../src/state/vault-mirror.js';
import { LockListing, peekPlansInVault, type VaultParts } from '../../src/state/vault-peek-plans.js';
import type { ListedSecret } from '../../src/vault/kv2.js';

const key = { id: 'key-1', status: 'active' as const, createdAt: '2026-01-01T00:00:00.000Z', fingerprint: 'sha256:0123abcd' };
const last = { time: '2026-01-01T00:00:00.000Z', plan: '', rotationId: 'r1', phase: 'verify', action: 'verify', oldKeyId: null, newKeyId: 'key-1', outcome: 'ok', actor: 'test' };

/** A lock secret released at version 2 with a copy of `plan`'s views (tagged 2), or a stale one (the lock at 3). */
function lockOf(plan: string, fresh = true): ListedSecret {
  const views = {
    state: JSON.stringify({ ...newRotation(plan, new Date('2026-01-01T00:00:00Z'), `r-${plan}`), phase: 'done', stage: 'ready' }),
    ledger: JSON.stringify({ keys: [key] }),
    audit: JSON.stringify({ last: { ...last, plan }, lastFailureAt: null }),
  };
  return { currentVersion: fresh ? 2 : 3, gone: false, customMetadata: lockMirrorOf(views, 2)! };
}

/** An in-memory lock/ folder behind VaultParts; every listing request and per-purpose read counted. */
function folder(locks: Map<string, ListedSecret>) {
  const names = [...locks.keys()].sort();
  const asked: { after: string; limit: number }[] = [];
  const perPurpose: string[][] = [];
  const parts = {
    space: {
      listDetailed: async (purpose: string, after: string, limit: number) => {
        expect(purpose).toBe('lock');
        asked.push({ after, limit });
        await new Promise((r) => setTimeout(r, 1));
        return new Map(names.filter((n) => n > after).slice(0, limit).map((n) => [n, locks.get(n)!]));
      },
      where: (purpose: string, plan: string) => `vault://secret/test/${purpose}/${plan}`,
    },
    records: {
      async *peek(plans: string[]) {
        perPurpose.push(plans);
        yield plans.map((plan) => ({ plan, state: { ...newRotation(plan, new Date(), `read-${plan}`), phase: 'drain' } }));
      },
    },
    ledgers: {
      async *peek(plans: string[]) {
        yield plans.map((plan) => ({ plan, keys: [] }));
      },
    },
    audit: { summaries: async () => new Map() },
  } as unknown as VaultParts;
  return { parts, asked, perPurpose };
}

async function statusOf(parts: VaultParts, listing: LockListing, plans: string[]): Promise<Map<string, PeekedPlan>> {
  const answered = new Map<string, PeekedPlan>();
  for await (const page of peekPlansInVault(parts, listing, plans, new Set(plans))) {
    for (const p of page) {
      expect(answered.has(p.plan), p.plan).toBe(false);
      answered.set(p.plan, p);
    }
  }
  return answered;
}

describe('status over Vault state: the listing of lock/', () => {
  it('lists more plans than two pages with two listings at once, each plan answered exactly once, from its copy', async () => {
    const plans = Array.from({ length: 2 * LISTED_PER_PAGE + 500 }, (_, i) => `p${String(i).padStart(5, '0')}`);
    // Locks of plans not asked for sit between them, and some asked for were never locked.
    const locks = new Map([...plans.filter((_, i) => i % 97 !== 5), ...plans.map((p) => `${p}-other`)].map((p) => [p, lockOf(p)]));
    const { parts, asked, perPurpose } = folder(locks);
    const answered = await statusOf(parts, new LockListing(parts.space, '', 1), plans);
    expect([...answered.keys()].sort()).toEqual(plans);
    expect(answered.get('p00007')).toMatchObject({ state: { rotationId: 'r-p00007', phase: 'done' }, ledger: [key], audit: { last: { plan: 'p00007', outcome: 'ok' } } });
    const neverLocked = plans.filter((_, i) => i % 97 === 5);
    expect(perPurpose).toEqual([neverLocked]);
    expect(answered.get(neverLocked[0]!)?.state?.rotationId).toBe(`read-${neverLocked[0]}`);
    // Two listings: one from the start, one from half-way through the plans; together they list the folder about once.
    expect(asked.filter((a) => a.after === '')).toHaveLength(1);
    expect(asked.some((a) => a.after === plans[Math.floor(plans.length / 2)])).toBe(true);
    expect(asked.length).toBeLessThanOrEqual(Math.ceil(locks.size / LISTED_PER_PAGE) + 2);
  });

  it('uses a listing started before the plans were known, from where it had got to', async () => {
    const plans = Array.from({ length: 3 * LISTED_PER_PAGE }, (_, i) => `p${String(i).padStart(5, '0')}`);
    const { parts, asked } = folder(new Map(plans.map((p) => [p, lockOf(p)])));
    const early = new LockListing(parts.space, '', 3);
    await new Promise((r) => setTimeout(r, 50)); // the plans load meanwhile: three pages listed already
    expect(asked).toHaveLength(3);
    const answered = await statusOf(parts, early, plans);
    expect(answered.size).toBe(plans.length);
    expect(asked.filter((a) => a.after === '')).toHaveLength(1); // not listed again from the start
    expect(asked.length).toBeLessThanOrEqual(plans.length / LISTED_PER_PAGE + 1);
  });

  it('reads the per-purpose way only the plans whose copy is stale (their lock taken since)', async () => {
    const plans = ['a', 'b', 'c', 'd'];
    const { parts, perPurpose } = folder(new Map(plans.map((p) => [p, lockOf(p, p !== 'c')])));
    const answered = await statusOf(parts, new LockListing(parts.space, '', 1), plans);
    expect(perPurpose).toEqual([['c']]);
    expect(answered.get('c')?.state).toMatchObject({ rotationId: 'read-c', phase: 'drain' });
    expect(answered.get('b')?.state).toMatchObject({ rotationId: 'r-b', phase: 'done' });
  });
});
