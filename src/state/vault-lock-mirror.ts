// One copy per plan of what keyrot status shows of it (the record, the ledger, the audit summary), in
// the custom_metadata of its LOCK secret, so one detailed listing of lock/ answers status for every
// plan instead of three (issue 27: OpenBao's cost is per secret listed).
//
// Why the lock's version may stand for the three others: every write to state/, ledger/ and audit/ of
// a plan is made by the holder of its lock (a run, revoke, abandon, migrate: engine/session.ts
// withPlan, migrate.ts), and every holder writes the lock when it takes it (a new KV version). The
// holder writes this copy after its release, tagged with the version the release wrote: while that
// is still the lock's current version, nobody has taken the lock since, so nobody has written those
// secrets since either. A session in flight, one that crashed before releasing, a takeover, or a
// release by an older keyrot (which writes no copy) all leave the tag behind the current version:
// the copy is stale, and that plan is read the per-purpose way. A copy that cannot be decoded is
// stale too: it costs a read, never a wrong answer.
//
// What the holder copies: what it wrote under the lock, or read there (under the lock that is
// current). A purpose it neither read nor wrote is left out (the reader reads that one); so is one
// too large for the 64 keys of custom_metadata (never truncated). A holder that took the lock over
// from an expired lease copies only the record and ledger it wrote: the old holder may still be
// running (frozen past its lease), and a write of its landing after this one read that secret is not
// in what was read; after this one's write, cas refuses it. (A holder frozen through a whole later
// session and waking in the next one is not caught: its write then shows at that plan's next session.)
import type { ListedSecret } from '../vault/kv2.js';
import { mirroredView, mirrorOf } from './vault-mirror.js';

/** Each purpose's view as the per-purpose mirrors hold it: text, null for none; absent: not known. */
export interface PlanViews {
  state?: string | null;
  ledger?: string | null;
  audit?: string | null;
}

const PURPOSES = ['state', 'ledger', 'audit'] as const;

/** The lock's custom_metadata holding `views`, tagged with the lock's KV version; the largest views left out until it fits. */
export function lockMirrorOf(views: PlanViews, lockVersion: number): Record<string, string> | undefined {
  const kept: PlanViews = { ...views };
  for (;;) {
    const present = PURPOSES.filter((p) => kept[p] !== undefined);
    if (present.length === 0) return undefined;
    const custom = mirrorOf(JSON.stringify(kept), lockVersion);
    if (custom) return custom;
    const largest = present.reduce((a, b) => ((kept[a]?.length ?? 0) >= (kept[b]?.length ?? 0) ? a : b));
    delete kept[largest];
  }
}

/** The views a listed lock secret's copy holds, if it was written at its current version; undefined otherwise. */
export function lockMirrorViews(listed: ListedSecret): PlanViews | undefined {
  const text = mirroredView(listed);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const views: PlanViews = {};
  for (const purpose of PURPOSES) {
    const value = (parsed as Record<string, unknown>)[purpose];
    if (typeof value === 'string' || value === null) views[purpose] = value;
  }
  return views;
}
