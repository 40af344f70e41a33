// Invariants 5 and 6: a run cut off at any step boundary, before or after its state was saved,
// is finished by the next run with exactly one current key: no orphan, no lost or duplicate key.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/state/file-audit.js';
import { inFlight, newRotation } from '../../src/engine/rotation.js';
import { advance } from '../../src/engine/runner.js';
import { buildProviders } from '../../src/engine/providers.js';
import { rotationContext } from '../../src/engine/session.js';
import { FileStateStore } from '../../src/state/file-store.js';
import type { StateStore } from '../../src/state/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { load, run, stateDirOf } from '../helpers/engine.js';
import { leakedIndexes, readAudit, readLedger, readState, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace } from '../helpers/workspace.js';

class Crash extends Error {}

/** A run that dies at its k-th state save: just before writing it, or just after. */
async function runUntilCrash(file: string, clock: FakeClock, k: number, when: 'before' | 'after'): Promise<string | undefined> {
  const loaded = await load(file);
  const real = new FileStateStore(stateDirOf(loaded));
  let saves = 0;
  let crashedAt: string | undefined;
  const store: StateStore = {
    location: real.location,
    load: (p) => real.load(p),
    list: () => real.list(),
    peek: (p) => real.peek(p),
    peekLedgers: (p) => real.peekLedgers(p),
    peekPlans: (p, l) => real.peekPlans(p, l),
    lock: (...args) => real.lock(...args),
    setAside: (p) => real.setAside(p),
    ledger: (p) => real.ledger(p),
    audit: real.audit,
    ledgerPlans: () => real.ledgerPlans(),
    async save(s) {
      saves++;
      if (saves === k && when === 'before') throw new Crash((crashedAt = `${s.phase}/${s.stage}`));
      const saved = await real.save(s);
      if (saves === k && when === 'after') throw new Crash((crashedAt = `${s.phase}/${s.stage}`));
      return saved;
    },
  };
  const providers = await buildProviders(loaded, real, () => undefined, clock);
  const previous = await real.load('api');
  const state = inFlight(previous) ? previous! : { ...newRotation('api', clock.now(), `r${k}`), version: previous?.version ?? 0 };
  const ctx = rotationContext(loaded, providers, state, { store, audit: new AuditLog(path.join(real.location, 'audit.jsonl')), clock, emit: () => undefined });
  const signal = new AbortController().signal;
  for (;;) {
    const outcome = await advance(ctx, { signal, confirm: async () => 'yes' as const, lockLost: () => undefined, audit: async () => undefined });
    if (crashedAt) return crashedAt;
    if (outcome.status !== 'waiting') return undefined;
    await clock.sleepUntil(outcome.until, signal);
  }
}

describe.each(['before', 'after'] as const)('a crash %s any state save', (when) => {
  it('is resumed to one current key, with no orphan and never more than two keys', async () => {
    const boundaries: string[] = [];
    const recoveries = new Set<string>();
    for (let k = 1; ; k++) {
      const ws = workspace();
      try {
        const file = ws.plan('api', localPlan('api'));
        const clock = new FakeClock();
        await run(await load(file), clock); // the first key, which the rotation retires
        const stateDir = path.join(ws.dir, '.keyrot');
        const oldKey = readLedger(stateDir, 'api')[0]!.id;

        const crashedAt = await runUntilCrash(file, clock, k, when);
        if (!crashedAt) break; // k is past the last save: every boundary was covered
        boundaries.push(crashedAt);
        const where = `crash ${when} save #${k} (${crashedAt})`;
        expect(readLedger(stateDir, 'api').length, where).toBeLessThanOrEqual(2);
        // Invariant 4: even cut short, the key consumers read is an active one.
        const served = readStore(path.join(ws.dir, 'api-keys.json')).current?.keyId;
        expect(readLedger(stateDir, 'api').find((key) => key.id === served)?.status, where).toBe('active');

        const resumed = await run(await load(file), clock);
        expect(resumed.outcome.status, where).toBe('done');
        for (const r of readAudit(stateDir)) if (r.action === 'delete-orphan-key') recoveries.add(r.action);
        for (const e of resumed.events) if (e.type === 'note' && e.message.startsWith('recovered key')) recoveries.add('read back from a store');
        const store = readStore(path.join(ws.dir, 'api-keys.json'));
        const ledger = readLedger(stateDir, 'api');
        expect(ledger.map((key) => `${key.id}:${key.status}`), where).toEqual([`${store.current?.keyId}:active`]);
        expect(store.current?.keyId, where).not.toBe(oldKey);
        expect(store.previous, where).toBeUndefined();
        expect(store.retired, where).toBeUndefined();
        expect(readState(stateDir, 'api')?.phase, where).toBe('done');
        expect(leakedIndexes(ws.allText().replace(ws.read('api-keys.json'), ''), secretsIn(store)), where).toEqual([]);
      } finally {
        ws.cleanup();
      }
    }
    // The two recovery paths of DESIGN.md were both taken: orphan deleted, secret read back.
    expect([...recoveries].sort()).toEqual(['delete-orphan-key', 'read back from a store']);
    // Every phase that saves was cut at least once. last-used, with no lastUsed rule here, waits for
    // nothing and changes nothing outside: it is walked in memory and written with the next save (runner.ts).
    const phases = new Set(boundaries.map((b) => b.split('/')[0]));
    expect([...phases].sort()).toEqual(['create', 'deactivate', 'delete', 'done', 'drain', 'publish', 'soak', 'verify']);
  });
});
