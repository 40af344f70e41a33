// The real process, killed: SIGKILL at every phase boundary, Ctrl-C in a wait, two runs at once.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot, savePointsIn, startKeyrot } from '../helpers/cli.js';
import { leakedIndexes, readLedger, readState, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const stateDir = () => path.join(ws.dir, '.keyrot');
const storeFile = () => path.join(ws.dir, 'demo-keys.json');

describe('SIGKILL right after every save a rotation makes, then run again', () => {
  it('always finishes with exactly one current key, no orphan, never more than two keys', async () => {
    const killedAt: string[] = [];
    const plan = ws.plan('demo', localPlan('demo', { drain: '0s', soak: '0s' }));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0); // first key
    // One rotation, traced: every save it makes is a point to kill at (phase:stage#n).
    const traced = await keyrot(['run', '--yes', plan], { cwd: ws.dir, env: { KEYROT_TEST_SAVES: path.join(ws.dir, 'saves.txt'), KEYROT_TEST_TRACE_LEDGER: '1' } });
    expect(traced.code, traced.stderr).toBe(0);
    const BOUNDARIES = savePointsIn(path.join(ws.dir, 'saves.txt'));
    const stateSaves = BOUNDARIES.filter((b) => !b.startsWith('ledger:'));
    // Every phase with a side effect saves inside it; a run that saves nowhere else is allowed, one that skips these is not.
    expect(new Set(stateSaves.map((b) => b.split(':')[0]))).toEqual(new Set(['create', 'publish', 'verify', 'deactivate', 'delete', 'done']));
    // The generated issuer's side effects (create, deactivate, delete) are ledger saves: a kill right after
    // each one lands before the rotation record says it happened, where only what was saved before it helps.
    expect(BOUNDARIES.filter((b) => b.startsWith('ledger:'))).toEqual(['ledger:saved#1', 'ledger:saved#2', 'ledger:saved#3']);

    for (const boundary of BOUNDARIES) {
      const before = readStore(storeFile()).current!.keyId;
      const killed = await keyrot(['run', '--yes', plan], { cwd: ws.dir, env: { KEYROT_TEST_KILL_AFTER: boundary } });
      expect(killed.signal, boundary).toBe('SIGKILL');
      if (!boundary.startsWith('ledger:')) killedAt.push(`${readState(stateDir(), 'demo')!.phase}:${readState(stateDir(), 'demo')!.stage}`);
      expect(readLedger(stateDir(), 'demo').length, boundary).toBeLessThanOrEqual(2);

      const resumed = await keyrot(['run', '--yes', plan], { cwd: ws.dir });
      expect(resumed.code, `${boundary}: ${resumed.stderr}`).toBe(0);
      const store = readStore(storeFile());
      expect(store.current?.keyId, boundary).not.toBe(before);
      expect(store.previous, boundary).toBeUndefined();
      expect(store.retired, boundary).toBeUndefined();
      expect(readLedger(stateDir(), 'demo').map((k) => `${k.id}:${k.status}`), boundary).toEqual([`${store.current!.keyId}:active`]);
      expect(leakedIndexes(resumed.stdout + resumed.stderr + killed.stdout + killed.stderr, secretsIn(store)), boundary).toEqual([]);
    }
    expect(killedAt).toEqual(stateSaves.map((b) => b.split('#')[0]));
  }, 120_000);
});

describe('SIGKILL right after every save a revoke of another leaked key makes (a rotation in flight)', () => {
  const STRAY = 'kr_stray_made_by_hand';
  /** demo rotating in its overlap window, and a second active key in its ledger that no target serves. */
  async function rotatingWithStray(): Promise<string> {
    const plan = ws.plan('demo', localPlan('demo', { drain: '1h', soak: '0s' }));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0); // first key
    expect((await keyrot(['run', '--no-wait', plan], { cwd: ws.dir })).code).toBe(75); // in drain
    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/demo.json');
    const stray = { id: STRAY, status: 'active', createdAt: new Date().toISOString(), fingerprint: 'sha256:0123456789ab' };
    ws.write('.keyrot/generated/demo.json', JSON.stringify({ ...ledger, keys: [...ledger.keys, stray] }));
    return plan;
  }

  it('is finished by the next run: the key inactive, the rotation where it stood, its deadline kept', async () => {
    let plan = await rotatingWithStray();
    const traced = await keyrot(['revoke', '--yes', '--key', STRAY, plan], { cwd: ws.dir, env: { KEYROT_TEST_SAVES: path.join(ws.dir, 'saves.txt'), KEYROT_TEST_TRACE_LEDGER: '1' } });
    expect(traced.code, traced.stderr).toBe(0);
    const BOUNDARIES = savePointsIn(path.join(ws.dir, 'saves.txt'));
    // The record before the deactivate, the ledger's deactivate, the record after it, once finished (the
    // file target never served the key: nothing to record there): all in the rotation's own phase,
    // which the revoke leaves as it was.
    expect(BOUNDARIES).toEqual(['drain:waiting#1', 'ledger:saved#1', 'drain:waiting#2', 'drain:waiting#3']);

    for (const boundary of BOUNDARIES) {
      ws.cleanup();
      ws = workspace();
      plan = await rotatingWithStray();
      const before = readState(stateDir(), 'demo')!;
      const killed = await keyrot(['revoke', '--yes', '--key', STRAY, plan], { cwd: ws.dir, env: { KEYROT_TEST_KILL_AFTER: boundary } });
      expect(killed.signal, boundary).toBe('SIGKILL');
      expect(readState(stateDir(), 'demo')!.alsoRevoked?.[0]?.keyId, boundary).toBe(STRAY); // on disk before the deactivate

      const resumed = await keyrot(['run', '--no-wait', plan], { cwd: ws.dir });
      expect(resumed.code, `${boundary}: ${resumed.stderr}`).toBe(75);
      expect(readLedger(stateDir(), 'demo').find((k) => k.id === STRAY)?.status, boundary).toBe('inactive');
      const after = readState(stateDir(), 'demo')!;
      expect(after, boundary).toMatchObject({ phase: 'drain', stage: 'waiting', newKeyId: before.newKeyId, deadlines: before.deadlines, alsoRevoked: [{ keyId: STRAY, finished: true }] });
      expect(readStore(storeFile()).current?.keyId, boundary).toBe(before.newKeyId);
    }
  }, 120_000);
});

describe('Ctrl-C', () => {
  it('during the overlap window exits 130 with state saved; the next run keeps the same deadline', async () => {
    const plan = ws.plan('demo', localPlan('demo', { drain: '1h' }));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0);

    const { child, done } = startKeyrot(['run', plan], { cwd: ws.dir });
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('waiting drain')) child.kill('SIGINT');
    });
    const result = await done;
    expect(result.code).toBe(130);
    const saved = readState(stateDir(), 'demo')!;
    expect(saved).toMatchObject({ phase: 'drain', stage: 'waiting' });

    const again = await keyrot(['run', '--no-wait', plan], { cwd: ws.dir });
    expect(again.code).toBe(75);
    expect(readState(stateDir(), 'demo')!.deadlines.drain).toBe(saved.deadlines.drain);
  });
});

describe('two runs of one plan at once', () => {
  it('one proceeds, the other exits 3 naming the holder', async () => {
    const plan = ws.plan('demo', localPlan('demo', { drain: '1h' }));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0);

    const first = startKeyrot(['run', plan], { cwd: ws.dir });
    await new Promise<void>((resolve) => first.child.stdout!.on('data', (d: Buffer) => d.toString().includes('waiting drain') && resolve()));
    const second = await keyrot(['run', plan], { cwd: ws.dir });
    first.child.kill('SIGINT');
    await first.done;

    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(new RegExp(` demo held: plan demo is locked by pid ${first.child.pid} on .* \\(keyrot run .*demo\\.yaml\\) since `));
    expect(second.stderr).toContain('--wait-lock');
  });
});
