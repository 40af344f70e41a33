// The one contract every StateStore passes (src/state/store.ts, StateStore), as Terraform's state
// managers all pass one suite. Each backend's *.contract.test.ts calls `stateStoreContract` with a
// factory for a fresh, empty store. "Across processes" means it: the lock is held by a child node
// process (test/contracts/hold-lock.mjs over the built dist/), which is then killed with SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/log.js';
import { newRotation } from '../../src/engine/rotation.js';
import type { PeekedPlan, StateStore } from '../../src/state/store.js';
import { failure } from './secret-store.contract.js';

/**
 * The two tests that wait out a real process's lease (SIGKILL, SIGSTOP: 3 to 6 s each) are left out of
 * `npm run mutation`'s state set only (it sets MUTATION_SET): nearly every lock mutant would run them,
 * a third of that set's time. test/unit/file-lock.test.ts checks the same time rules on aged lock
 * folders there; `npm test` runs these.
 */
const waitsOutLeases = process.env.MUTATION_SET === 'state';

export interface StateStoreUnderTest {
  /** A fresh, empty store. */
  store: StateStore;
  /** What `--state` names for it, and the environment a process needs to reach it (VAULT_ADDR…). */
  spec: string;
  env: NodeJS.ProcessEnv;
  /** Another handle on the same store, as a second host would open it. */
  reopen(): StateStore;
  /** After its holder died, its lock is taken over no sooner than this, and no later than `takeoverWithinMs`. */
  takeoverAfterMs: number;
  takeoverWithinMs: number;
  /** Make the plan's stored record unreadable (garbage where the record is). */
  corrupt(plan: string): Promise<void>;
  /** Requests sent to the store's server so far, where there is one (Vault: counted at a proxy). */
  requests?(): number;
  cleanup?(): Promise<void>;
}

const HOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hold-lock.mjs');
const holder = (command = 'keyrot run contract.yaml') => ({ host: os.hostname(), pid: process.pid, command, since: new Date().toISOString() });

/** A child process holding `plan`'s lock until killed; resolves once it holds it. */
async function lockInChild(h: StateStoreUnderTest, plan: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, h.spec, plan], { env: { ...process.env, ...h.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code}): ${out}`)));
  });
  return child;
}

const record = (plan: string, action: string): Omit<AuditRecord, 'actor'> => ({
  time: new Date().toISOString(), plan, rotationId: 'r1', phase: 'create', action, oldKeyId: null, newKeyId: 'key-1', outcome: 'ok',
});

export function stateStoreContract(name: string, make: () => Promise<StateStoreUnderTest>): void {
  describe(`StateStore contract: ${name}`, () => {
    let h: StateStoreUnderTest;
    let children: ChildProcess[] = [];
    const plan = () => `plan-${randomBytes(3).toString('hex')}`;
    beforeEach(async () => {
      h = await make();
      children = [];
    });
    afterEach(async () => {
      for (const c of children) c.kill('SIGKILL');
      await h?.cleanup?.();
    });

    it('reads back what it saved, with the version moved on; a missing plan reads as none', async () => {
      const p = plan();
      expect(await h.store.load(p)).toBeUndefined();
      const fresh = newRotation(p, new Date(), 'r1');
      const saved = await h.store.save(fresh);
      expect(saved.version).toBe(fresh.version + 1);
      expect(await h.reopen().load(p)).toEqual(saved);
      const again = await h.store.save({ ...saved, phase: 'publish' });
      expect((await h.store.load(p))?.phase).toBe('publish');
      expect((await h.store.list()).map((s) => s.plan)).toContain(p);
      expect(again.version).toBe(saved.version + 1);
    });

    it('refuses a lost update: a save from a stale version is state-conflict, and the newer record stays', async () => {
      const p = plan();
      const first = await h.store.save(newRotation(p, new Date(), 'r1'));
      const mine = { ...first };
      await h.reopen().save({ ...first, phase: 'verify' }); // another host saved in between
      const e = await failure(h.store.save({ ...mine, phase: 'publish' }));
      expect(e.code).toBe('state-conflict');
      expect((await h.store.load(p))?.phase).toBe('verify');
    });

    it('lets one process at a time hold a plan lock, and describes the holder (host, pid, command, since)', async () => {
      const p = plan();
      const child = await lockInChild(h, p);
      children.push(child);
      const e = await failure(h.reopen().lock(p, holder(), 0));
      expect(e.code).toBe('lock-held');
      expect(e.message).toContain(`pid ${child.pid} on ${os.hostname()} (keyrot run contract-child.yaml) since 20`);
      // Another plan is not held by it.
      const other = await h.store.lock(plan(), holder(), 0);
      await other.release();
    });

    it.skipIf(waitsOutLeases)('takes over the lock of a holder killed with SIGKILL, but only after its lease expires', async () => {
      const p = plan();
      const child = await lockInChild(h, p);
      children.push(child);
      child.kill('SIGKILL');
      const killedAt = Date.now();
      const lock = await h.reopen().lock(p, holder('keyrot run (the other host)'), h.takeoverWithinMs);
      const waited = Date.now() - killedAt;
      expect(waited).toBeGreaterThanOrEqual(h.takeoverAfterMs);
      expect(waited).toBeLessThanOrEqual(h.takeoverWithinMs);
      expect(lock.lost).toBeUndefined();
      // Held now by this process: a third is refused, naming it.
      expect((await failure(h.store.lock(p, holder(), 0))).message).toContain('the other host');
      await lock.release();
      const next = await h.store.lock(p, holder(), 0);
      await next.release();
    }, 60_000);

    it.skipIf(waitsOutLeases)('a holder that stalls past its lease (SIGSTOP) loses the lock to another, and knows it once it runs again', async () => {
      const p = plan();
      const child = await lockInChild(h, p);
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.kill('SIGSTOP');
      const lock = await h.reopen().lock(p, holder('keyrot run (the other host)'), h.takeoverWithinMs + 6_000);
      child.kill('SIGCONT');
      const deadline = Date.now() + 10_000;
      while (!out.includes('lost:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // Its own lease or refresh seen expired first (Vault; the file lock before its heartbeat runs), or taken over
      // (the file lock's heartbeat finds the new holder): either way it stops.
      expect(out).toMatch(/lost: .*(taken over by .*the other host|the lease expired|not refreshed for \d+ s \(this process stalled\))/);
      expect(lock.lost).toBeUndefined();
      await lock.release();
    }, 60_000);

    it('keeps a generated issuer ledger: ids, states and fingerprints, versioned, a lost update refused', async () => {
      const p = plan();
      const ledger = h.store.ledger(p);
      expect(await ledger.load()).toEqual({ keys: [], version: 0 });
      const key = { id: 'key-1', status: 'active' as const, createdAt: new Date().toISOString(), fingerprint: 'sha256:0123abcd' };
      const v1 = await ledger.save([key], 0);
      expect(await h.reopen().ledger(p).load()).toEqual({ keys: [key], version: v1 });
      const v2 = await h.reopen().ledger(p).save([{ ...key, status: 'inactive' }], v1);
      expect(v2).not.toBe(v1);
      expect((await failure(ledger.save([], v1))).code).toBe('state-conflict');
      expect((await ledger.load()).keys[0]?.status).toBe('inactive');
      expect(await h.store.ledgerPlans()).toContain(p);
    });

    it('peeks at many plans\' ledgers at once: each answered once, its keys where there is a ledger, none where not', async () => {
      const [kept, none] = [plan(), plan()];
      const key = { id: 'key-1', status: 'active' as const, createdAt: new Date().toISOString(), fingerprint: 'sha256:0123abcd' };
      await h.store.ledger(kept).save([key], 0);
      const answers = [];
      for await (const page of h.reopen().peekLedgers([kept, none])) answers.push(...page);
      expect(answers).toHaveLength(2);
      expect(answers).toEqual(expect.arrayContaining([{ plan: kept, keys: [key] }, { plan: none, keys: [] }]));
    });

    it('appends audit records and reads them back in order, with who wrote them, from any handle', async () => {
      const p = plan();
      await h.store.audit.append(record(p, 'created'));
      await h.reopen().audit.append(record(p, 'published'));
      await Promise.all([1, 2, 3].map((n) => h.reopen().audit.append(record(p, `concurrent-${n}`))));
      const mine = (await h.reopen().audit.read()).filter((r) => r.plan === p);
      expect(mine.map((r) => r.action).slice(0, 2)).toEqual(['created', 'published']);
      expect(mine.map((r) => r.action).sort()).toEqual(['concurrent-1', 'concurrent-2', 'concurrent-3', 'created', 'published']);
      expect(mine[0]!.actor).toContain(os.hostname());
      const scan = await h.store.audit.scan();
      expect(scan.unreadable).toBe(0);
    });

    it('peeks at many plans at once without their locks: each answered once, a page at a time, a held lock no obstacle', async () => {
      const plans = Array.from({ length: 300 }, (_, i) => `peek-${i}-${randomBytes(2).toString('hex')}`);
      const withRecord = plans.filter((_, i) => i % 10 === 0);
      const saved = new Map<string, number>();
      for (const p of withRecord) saved.set(p, (await h.store.save({ ...newRotation(p, new Date(), `r-${p}`), phase: 'drain' })).version);
      children.push(await lockInChild(h, withRecord[0]!));
      const before = h.requests?.();

      const seen = new Map<string, unknown>();
      let pages = 0;
      for await (const page of h.store.peek(plans)) {
        pages++;
        for (const p of page) {
          expect(seen.has(p.plan)).toBe(false);
          seen.set(p.plan, p.state);
        }
      }
      expect([...seen.keys()].sort()).toEqual([...plans].sort());
      expect(pages).toBeGreaterThan(1);
      for (const p of plans) {
        const state = seen.get(p) as { rotationId: string; phase: string; version: number } | undefined;
        if (saved.has(p)) expect(state).toMatchObject({ rotationId: `r-${p}`, phase: 'drain', version: saved.get(p) });
        else expect(state).toBeUndefined();
      }
      // Where requests are counted: one listing of the records there are, one read per record, none for a plan without one.
      if (before !== undefined) expect(h.requests!() - before).toBeLessThanOrEqual(withRecord.length + 1);
      // It took no lock and left none: the holder still holds it, every other plan is free.
      expect((await failure(h.store.lock(withRecord[0]!, holder(), 0))).code).toBe('lock-held');
      await (await h.store.lock(withRecord[1]!, holder(), 0)).release();
    });

    it('peeks what was saved last, its lock held or released: never an older record or ledger (what run --due decides from)', async () => {
      const p = plan();
      const key = (id: string) => ({ id, status: 'active' as const, createdAt: new Date().toISOString(), fingerprint: 'sha256:0123abcd' });
      const peekOne = async () => {
        const [records, ledgers] = [[], []] as [unknown[], unknown[]];
        for await (const page of h.reopen().peek([p])) records.push(...page);
        for await (const page of h.reopen().peekLedgers([p])) ledgers.push(...page);
        return { record: records[0] as { state?: { phase: string; version: number } }, ledger: ledgers[0] as { keys?: { id: string }[] } };
      };
      let lock = await h.store.lock(p, holder(), 0);
      const first = await h.store.save({ ...newRotation(p, new Date(), 'r1'), phase: 'drain' });
      const ledgerVersion = await h.store.ledger(p).save([key('key-1')], 0);
      await lock.release();
      const before = await peekOne();
      expect(before.record.state).toMatchObject({ phase: 'drain', version: first.version });
      expect(before.ledger.keys?.map((k) => k.id)).toEqual(['key-1']);

      // The next holder moves the rotation on; still under its lock, a peek sees the new record and ledger.
      lock = await h.store.lock(p, holder(), 0);
      const second = await h.store.save({ ...first, phase: 'soak' });
      await h.store.ledger(p).save([key('key-1'), key('key-2')], ledgerVersion);
      for (const when of ['held', 'released']) {
        if (when === 'released') await lock.release();
        const after = await peekOne();
        expect(after.record.state, when).toMatchObject({ phase: 'soak', version: second.version });
        expect(after.ledger.keys?.map((k) => k.id), when).toEqual(['key-1', 'key-2']);
      }
    });

    it('reads what keyrot status shows of many plans at once (record, ledger where asked, audit summary): as last written, a session in flight or not', async () => {
      const [ran, none, noLedger] = [plan(), plan(), plan()];
      const key = (id: string) => ({ id, status: 'active' as const, createdAt: new Date().toISOString(), fingerprint: 'sha256:0123abcd' });
      const status = async () => {
        const answers: PeekedPlan[] = [];
        for await (const page of h.reopen().peekPlans([ran, none, noLedger], new Set([ran, none]))) answers.push(...page);
        expect(answers.map((a) => a.plan).sort()).toEqual([ran, none, noLedger].sort());
        const of = (p: string) => answers.find((a) => a.plan === p)!;
        return { ran: of(ran), none: of(none), noLedger: of(noLedger) };
      };
      let lock = await h.store.lock(ran, holder(), 0);
      const first = await h.store.save({ ...newRotation(ran, new Date(), 'r1'), phase: 'drain' });
      const ledgerVersion = await h.store.ledger(ran).save([key('key-1')], 0);
      await h.store.audit.append({ ...record(ran, 'verify'), outcome: 'failed' });
      await h.store.audit.append(record(ran, 'publish'));
      await lock.release();
      const other = await h.store.lock(noLedger, holder(), 0);
      await h.store.save(newRotation(noLedger, new Date(), 'r9'));
      await h.store.ledger(noLedger).save([key('key-9')], 0);
      await other.release();

      const before = await status();
      expect(before.ran.state).toMatchObject({ phase: 'drain', version: first.version });
      expect(before.ran.ledger?.map((k) => k.id)).toEqual(['key-1']);
      expect(before.ran.audit?.last.action).toBe('publish');
      expect(before.ran.audit?.lastFailureAt).not.toBeNull();
      expect(before.none).toEqual({ plan: none, state: undefined, ledger: [] });
      expect(before.noLedger.state?.rotationId).toBe('r9');
      expect(before.noLedger.ledger).toBeUndefined(); // not asked for

      // Another host takes the lock and moves the rotation on, then dies before releasing it: status shows where it got to.
      const second = h.reopen();
      lock = await second.lock(ran, holder(), 0);
      const moved = await second.save({ ...(await second.load(ran))!, phase: 'soak' });
      await second.ledger(ran).save([key('key-1'), key('key-2')], ledgerVersion);
      await second.audit.append(record(ran, 'soak-start'));
      const after = await status();
      expect(after.ran.state).toMatchObject({ phase: 'soak', version: moved.version });
      expect(after.ran.ledger?.map((k) => k.id)).toEqual(['key-1', 'key-2']);
      expect(after.ran.audit?.last.action).toBe('soak-start');
      await lock.release();
      expect((await status()).ran.state).toMatchObject({ phase: 'soak', version: moved.version });
    });

    it('peeks past a record it cannot read: that plan answered unknown (its lock holder will say why), the others as usual', async () => {
      const [bad, good, none] = [plan(), plan(), plan()];
      await h.store.save(newRotation(bad, new Date(), 'r1'));
      await h.store.save(newRotation(good, new Date(), 'r2'));
      await h.corrupt(bad);
      const answers = [];
      for await (const page of h.store.peek([bad, good, none])) answers.push(...page);
      expect(answers).toHaveLength(3);
      expect(answers.find((a) => a.plan === bad)).toMatchObject({ unknown: true, state: undefined });
      expect(answers.find((a) => a.plan === good)?.state?.rotationId).toBe('r2');
      expect(answers.find((a) => a.plan === none)).toEqual({ plan: none, state: undefined });
      expect((await failure(h.store.load(bad))).code).toBe('state-corrupt');
    });

    it('sets an unusable record aside, after which the plan reads as having none', async () => {
      const p = plan();
      await h.store.save(newRotation(p, new Date(), 'r1'));
      const where = await h.store.setAside(p);
      expect(where).toContain(p);
      expect(await h.store.load(p)).toBeUndefined();
    });
  });
}
