// The plan cache (issue 27): a plan validated once is read back by the SHA-256 of its text, only from a
// cache no one but this user can write, and never in place of a plan whose text changed.
import { chmodSync, chownSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlans } from '../../src/engine/load-plans.js';
import { openPlanCache, planCacheRoot } from '../../src/plan/cache.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let root: string;
beforeEach(() => {
  ws = workspace();
  root = path.join(ws.dir, 'cache');
});
afterEach(() => ws.cleanup());

const cache = (build = 'build-1') => openPlanCache(root, build)!;
const cacheFiles = () => readdirSync(root).map((f) => path.join(root, f));

/** Rewrite every cached entry of the folder: what someone who could write the cache file would do. */
function tamper(edit: (plan: Record<string, unknown>) => void) {
  for (const file of cacheFiles()) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { plans: Record<string, { plan: Record<string, unknown> }> };
    for (const entry of Object.values(stored.plans)) edit(entry.plan);
    writeFileSync(file, JSON.stringify(stored));
  }
}

describe('the plan cache', () => {
  it('answers a plan it has validated, by its text: the same text is not parsed again, a changed text is', async () => {
    const file = ws.plan('api', localPlan('api'));
    const first = await loadPlans([file], undefined, { cache: cache() });
    expect(cacheFiles()).toHaveLength(1);
    // Proof the second load came from the cache: the cached plan says what the file does not.
    tamper((plan) => void (plan.description = 'from the cache'));
    expect((await loadPlans([file], undefined, { cache: cache() }))[0]!.plan.description).toBe('from the cache');
    // An edit is validated again: here an invalid one, refused with its line and column.
    ws.plan('api', { ...localPlan('api'), drain: 'soon' });
    const refused = await loadPlans([file], undefined, { cache: cache() }).catch((e: Error & { details?: { problems?: { field: string; line: number }[] } }) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as { details: { problems: { field: string }[] } }).details.problems[0]!.field).toBe('drain');
    expect(first[0]!.plan.drain).toBe(15 * 60_000);
  });

  it('is not trusted where anyone but this user could have written it, nor from another build', async () => {
    const file = ws.plan('api', localPlan('api'));
    await loadPlans([file], undefined, { cache: cache() });
    tamper((plan) => void (plan.description = 'planted'));
    const described = async (build = 'build-1') => (await loadPlans([file], undefined, { cache: openPlanCache(root, build) }))[0]!.plan.description;
    expect(await described()).toBe('planted'); // writable by this user alone: trusted (that user could edit the plan too)
    expect(await described('build-2')).toBeUndefined(); // another build: parsed again

    for (const f of cacheFiles()) chmodSync(f, 0o620); // a group-writable file
    expect(await described()).toBeUndefined();

    tamper((plan) => void (plan.description = 'planted'));
    if (process.geteuid?.() === 0) {
      for (const f of cacheFiles()) chownSync(f, 65534, 65534); // another user's file (only root can give one away)
      expect(await described()).toBeUndefined();
    }

    // A symlink in its place, to a file of this user's elsewhere: not followed.
    const elsewhere = path.join(ws.dir, 'elsewhere.json');
    for (const f of cacheFiles()) {
      writeFileSync(elsewhere, readFileSync(f), { mode: 0o600 });
      rmSync(f);
      symlinkSync(elsewhere, f);
    }
    expect(await described()).toBeUndefined();

    chmodSync(root, 0o770); // a group-writable cache folder: not used at all
    expect(openPlanCache(root, 'build-1')).toBeUndefined();
  });

  it('keeps only plans JSON gives back as they were, and is off with KEYROT_PLAN_CACHE=off', () => {
    const c = cache();
    const file = path.join(ws.dir, 'odd.yaml');
    c.put(file, 'h1', { name: 'odd', when: new Date(0) } as never);
    expect(c.get(file, 'h1')).toBeUndefined();
    expect(planCacheRoot({ KEYROT_PLAN_CACHE: 'off' })).toBeUndefined();
    expect(planCacheRoot({ XDG_CACHE_HOME: '/x/cache' })).toBe(path.join('/x/cache', 'keyrot', 'plans'));
  });
});
