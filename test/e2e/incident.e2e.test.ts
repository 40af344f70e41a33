// The on-call paths through the built binary, against moto: revoke a leaked IAM key, roll a
// rotation back during its soak, approve a gated delete, and read it all back with `keyrot history`.
// Waits are never slept through: a stored deadline is moved into the past instead.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/log.js';
import type { PhaseName } from '../../src/engine/rotation.js';
import { ACCOUNT, awsKit, motoSuite, type Run } from '../helpers/aws-kit.js';
import { leakedIndexes, readAudit, readState, readStore, secretsIn, type StoreFile } from '../helpers/inspect.js';

const suite = motoSuite();

const { keyrot, run, keyrotOutput, createUser, keysOf, whoIs, iamPlan, published, STATE } = awsKit(() => suite);

// ---- what the tests look at -----------------------------------------------------------------------

const stateDir = () => path.join(suite.ws.dir, STATE);
const stateOf = (plan: string) => readState(stateDir(), plan)!;
const storeOf = (plan: string): StoreFile => readStore(path.join(suite.ws.dir, `${plan}.json`));
const auditOf = (rotationId: string): AuditRecord[] => readAudit(stateDir()).filter((r) => r.rotationId === rotationId);
const eventsOf = (r: Run, type: string) => r.events.filter((e) => e.type === type);

/** Move a stored deadline into the past: what waiting through it would do, without the wait. */
function expireDeadline(plan: string, phase: PhaseName): void {
  const file = path.join(stateDir(), 'state', `${plan}.json`);
  const state = JSON.parse(readFileSync(file, 'utf8'));
  expect(state.deadlines[phase], `${plan} has a ${phase} deadline to expire`).toBeTypeOf('string');
  state.deadlines[phase] = new Date(Date.now() - 1000).toISOString();
  writeFileSync(file, JSON.stringify(state));
}

/** Every secret a store file held at some point, and every keyrot run of the test: what the secret scan checks. */
let secrets: Set<string>;
let runs: Run[];
const noteSecrets = (...plans: string[]) => plans.forEach((p) => secretsIn(storeOf(p)).forEach((s) => secrets.add(s)));
const keep = (r: Run): Run => (runs.push(r), r);
const cli = (args: string[]) => keyrot(args).then(keep);
const rotate = (plan: string, flags: string[] = []) => run(plan, flags).then(keep);

beforeEach(() => {
  secrets = new Set();
  runs = [];
});

/** Invariant 3: no secret any store held is in what keyrot printed, its state or its audit log (indexes only). */
const expectNoSecretShown = () => {
  expect(secrets.size).toBeGreaterThan(0);
  expect(leakedIndexes(keyrotOutput(runs), [...secrets])).toEqual([]);
};

const arn = (user: string) => `arn:aws:iam::${ACCOUNT}:user/${user}`;
/** No overlap to wait through, no last-used gate: the soak is what these tests look at. */
const soaking = { drain: '0s', lastUsed: undefined, soak: '7d' };
/** A long overlap and a strict last-used rule, which a normal rotation would wait on and a revoke skips. */
const cautious = { drain: '15m', lastUsed: { quietFor: '1h', maxWait: '2h' }, soak: '7d' };

// ---- the tests ------------------------------------------------------------------------------------

describe('keyrot revoke against moto', () => {
  it('finds the owner among several plans, deactivates before replacing, publishes, prints the last use; --delete only after the soak', async () => {
    for (const name of ['alpha', 'bravo', 'charlie']) {
      await createUser(`${name}-svc`);
      iamPlan(name, `${name}-svc`, cautious);
    }
    const issued = await cli(['run', '--yes', '--json', '--state', STATE, suite.ws.dir]);
    expect(issued.code, issued.stderr).toBe(0);
    noteSecrets('alpha', 'bravo', 'charlie');
    const leaked = published('bravo')!;
    const others = { alpha: await keysOf('alpha-svc'), charlie: await keysOf('charlie-svc') };
    const otherStores = { alpha: suite.ws.read('alpha.json'), charlie: suite.ws.read('charlie.json') };
    expect(others.alpha).toHaveLength(1);
    expect(others.charlie).toHaveLength(1);

    // The leak gets used (moto records the last use of the key that signed a request).
    const usedFrom = Date.now();
    expect(await whoIs(leaked.keyId, leaked.secret)).toBe(arn('bravo-svc'));
    const usedTo = Date.now();

    const revoked = await cli(['revoke', '--key', leaked.keyId, '--yes', '--plain', '--state', STATE, suite.ws.dir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    noteSecrets('bravo');
    const out = revoked.stdout + revoked.stderr;
    expect(out).toContain(`revoking ${leaked.keyId} of plan bravo now: anything still using it fails until it loads the replacement`);

    // What the leaked key last touched, as IAM reports it: when, which service, which region.
    const lastUse = out.match(new RegExp(`${leaked.keyId} was last used: (\\S+) by sts in us-east-1`));
    expect(lastUse, out).not.toBeNull();
    const usedAt = Date.parse(lastUse![1]!);
    expect(usedAt).toBeGreaterThanOrEqual(usedFrom - 1000); // IAM reports whole seconds
    expect(usedAt).toBeLessThanOrEqual(usedTo + 1000);

    // Revoke first, then replace: in the audit log, the leaked key is deactivated before anything is created.
    const state = stateOf('bravo');
    expect(state).toMatchObject({ mode: 'revoke', oldKeyId: leaked.keyId, phase: 'soak', stage: 'waiting' });
    expect(Object.keys(state.deadlines)).toEqual(['soak']); // no overlap, no last-used wait: the key is dead already
    const actions = auditOf(state.rotationId).map((r) => r.action);
    expect(actions.indexOf('revoke-key')).toBeGreaterThanOrEqual(0);
    expect(actions.indexOf('revoke-key')).toBeLessThan(actions.indexOf('create-key'));
    expect(actions.slice(0, 7)).toEqual(['revoke-key', 'retire-from-store', 'purge-from-store', 'last-used', 'create-key', 'publish', 'verify']);

    // The replacement is published and authenticates; the leaked key is still there, inactive, and not served.
    const replacement = published('bravo')!;
    expect(replacement.keyId).toBe(state.newKeyId);
    expect(replacement.keyId).not.toBe(leaked.keyId);
    expect(await whoIs(replacement.keyId, replacement.secret)).toBe(arn('bravo-svc'));
    expect(await keysOf('bravo-svc')).toEqual(
      expect.arrayContaining([{ id: leaked.keyId, status: 'Inactive' }, { id: replacement.keyId, status: 'Active' }]),
    );
    expect((await keysOf('bravo-svc')).length).toBe(2);
    expect(storeOf('bravo').previous).toBeUndefined();
    expect(out).toContain(`revoked ${leaked.keyId}; replacement ${replacement.keyId} published`);

    // The other plans were asked, not touched.
    expect(await keysOf('alpha-svc')).toEqual(others.alpha);
    expect(await keysOf('charlie-svc')).toEqual(others.charlie);
    expect(suite.ws.read('alpha.json')).toBe(otherStores.alpha);
    expect(suite.ws.read('charlie.json')).toBe(otherStores.charlie);
    expect(readState(stateDir(), 'alpha')?.phase).toBe('done');
    expect(readState(stateDir(), 'charlie')?.phase).toBe('done');

    // --delete before the soak is over: waits (75), the leaked key stays.
    const early = await cli(['revoke', '--delete', '--key', leaked.keyId, '--json', '--state', STATE, suite.ws.dir, '--yes']);
    expect(early.code, early.stderr).toBe(75);
    expect(eventsOf(early, 'waiting')).toEqual([expect.objectContaining({ plan: 'bravo', phase: 'soak' })]);
    expect(await keysOf('bravo-svc')).toContainEqual({ id: leaked.keyId, status: 'Inactive' });

    // After the soak: the leaked key is deleted for good; the replacement is the one key left.
    expireDeadline('bravo', 'soak');
    const deleted = await cli(['revoke', '--delete', '--key', leaked.keyId, '--json', '--state', STATE, suite.ws.dir, '--yes']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(eventsOf(deleted, 'step').map((e) => e.action)).toContain('delete-key');
    expect(await keysOf('bravo-svc')).toEqual([{ id: replacement.keyId, status: 'Active' }]);
    expect(storeOf('bravo')).toMatchObject({ current: { keyId: replacement.keyId } });
    expect(storeOf('bravo').retired).toBeUndefined();
    expect(stateOf('bravo')).toMatchObject({ mode: 'revoke', phase: 'done' });
    expect(await keysOf('alpha-svc')).toEqual(others.alpha);
    expect(await keysOf('charlie-svc')).toEqual(others.charlie);

    // keyrot history: the revoke, start to end, as stored.
    const history = await cli(['history', 'bravo', '--json', '--state', STATE]);
    expect(history.code, history.stderr).toBe(0);
    const records = history.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    expect(records).toEqual(readAudit(stateDir()).filter((r) => r.plan === 'bravo'));
    const revokeRecords = records.filter((r) => r.rotationId === state.rotationId);
    // The revoke already purged the store: deactivate and delete find nothing left there, and say so.
    expect(revokeRecords.map((r) => `${r.action}:${r.outcome}`)).toEqual([
      'revoke-key:ok', 'retire-from-store:ok', 'purge-from-store:ok', 'last-used:ok', 'create-key:ok', 'publish:ok', 'verify:ok',
      'retire-from-store:skipped', 'approve:ok', 'delete-key:ok', 'purge-from-store:skipped',
    ]);
    expect(revokeRecords.every((r) => r.oldKeyId === leaked.keyId)).toBe(true);
    expect(revokeRecords.find((r) => r.action === 'last-used')?.detail).toMatch(/by sts in us-east-1$/);
    expect(revokeRecords.find((r) => r.action === 'delete-key')?.detail).toBe(`deleted ${leaked.keyId}`);
    expectNoSecretShown();
  }, 120_000);

  it('an unknown key is a usage error naming the plans asked; a plan without --key revokes its current key', async () => {
    for (const name of ['alpha', 'bravo']) {
      await createUser(`${name}-svc`);
      iamPlan(name, `${name}-svc`, soaking);
    }
    expect((await cli(['run', '--yes', '--json', '--state', STATE, suite.ws.dir])).code).toBe(0);
    noteSecrets('alpha', 'bravo');
    const before = { alpha: await keysOf('alpha-svc'), bravo: await keysOf('bravo-svc') };

    const unknown = await cli(['revoke', '--key', 'AKIAUNKNOWNKEY000000', '--yes', '--plain', '--state', STATE, suite.ws.dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no plan's issuer holds key AKIAUNKNOWNKEY000000 (asked: alpha, bravo)");
    expect(await keysOf('alpha-svc')).toEqual(before.alpha);
    expect(await keysOf('bravo-svc')).toEqual(before.bravo);

    const ambiguous = await cli(['revoke', '--yes', '--plain', '--state', STATE, suite.ws.dir]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('without --key, revoke takes exactly one plan');

    const current = published('alpha')!;
    const revoked = await cli(['revoke', '--yes', '--json', '--state', STATE, path.join(suite.ws.dir, 'alpha.yaml')]);
    expect(revoked.code, revoked.stderr).toBe(0);
    noteSecrets('alpha');
    expect(stateOf('alpha')).toMatchObject({ mode: 'revoke', oldKeyId: current.keyId, phase: 'soak' });
    const replacement = published('alpha')!;
    expect(replacement.keyId).not.toBe(current.keyId);
    expect(await keysOf('alpha-svc')).toEqual(
      expect.arrayContaining([{ id: current.keyId, status: 'Inactive' }, { id: replacement.keyId, status: 'Active' }]),
    );
    expect(eventsOf(revoked, 'step').map((e) => e.action).slice(0, 4)).toEqual(['revoke-key', 'retire-from-store', 'purge-from-store', 'create-key']);
    expect(await keysOf('bravo-svc')).toEqual(before.bravo);
    expectNoSecretShown();
  }, 60_000);
});

describe('keyrot rollback against moto', () => {
  it('during the soak brings the old key back (Active, served again), holds, and a resume completes', async () => {
    await createUser('svc');
    const plan = iamPlan('svc', 'svc', { ...soaking, drain: '15m' });
    expect((await rotate(plan)).code).toBe(0);
    noteSecrets('svc');
    const old = published('svc')!;

    expect((await rotate(plan, ['--no-wait'])).code).toBe(75); // in the overlap
    noteSecrets('svc');
    const fresh = published('svc')!;
    expect(stateOf('svc')).toMatchObject({ phase: 'drain', stage: 'waiting' });
    expireDeadline('svc', 'drain');
    expect((await rotate(plan, ['--no-wait'])).code).toBe(75); // deactivated, soaking
    expect(stateOf('svc')).toMatchObject({ phase: 'soak', stage: 'waiting' });
    expect(await keysOf('svc')).toEqual(expect.arrayContaining([{ id: old.keyId, status: 'Inactive' }, { id: fresh.keyId, status: 'Active' }]));
    expect(storeOf('svc').previous).toBeUndefined();
    expect(storeOf('svc').retired?.keyId).toBe(old.keyId);

    const rolledBack = await cli(['rollback', '--state', STATE, plan]);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.stdout).toContain(`${old.keyId} is active and served again; the rotation is held`);
    expect(await keysOf('svc')).toEqual(expect.arrayContaining([{ id: old.keyId, status: 'Active' }, { id: fresh.keyId, status: 'Active' }]));
    const served = storeOf('svc');
    expect(served.current?.keyId).toBe(fresh.keyId);
    expect(served.previous?.keyId).toBe(old.keyId);
    expect(served.previous?.secret === old.secret).toBe(true); // the same credential, served again
    expect(served.retired).toBeUndefined();
    expect(stateOf('svc')).toMatchObject({ phase: 'deactivate', stage: 'ready', rolledBack: { reason: expect.stringContaining('keyrot rollback') } });

    const held = await rotate(plan);
    expect(held.code).toBe(3);
    expect(eventsOf(held, 'held')).toEqual([expect.objectContaining({ code: 'rolled-back', hint: expect.stringContaining('--resume-after-rollback') })]);
    expect(await keysOf('svc')).toContainEqual({ id: old.keyId, status: 'Active' });

    // Resume: the old key is deactivated again and a new soak starts; once it is over, the rotation ends.
    const resumed = await rotate(plan, ['--resume-after-rollback', '--no-wait']);
    expect(resumed.code, resumed.stderr).toBe(75);
    expect(stateOf('svc')).toMatchObject({ phase: 'soak', stage: 'waiting', rolledBack: null });
    expect(await keysOf('svc')).toContainEqual({ id: old.keyId, status: 'Inactive' });
    expireDeadline('svc', 'soak');
    const done = await rotate(plan);
    expect(done.code, done.stderr).toBe(0);
    expect(eventsOf(done, 'done')).toEqual([expect.objectContaining({ oldKeyId: old.keyId, newKeyId: fresh.keyId })]);
    expect(await keysOf('svc')).toEqual([{ id: fresh.keyId, status: 'Active' }]);
    expect(published('svc')?.keyId).toBe(fresh.keyId);
    expect(secretsIn(storeOf('svc'))).toHaveLength(1);
    const actions = auditOf(stateOf('svc').rotationId).map((r) => r.action);
    expect(actions).toEqual([
      'create-key', 'publish', 'verify', 'deactivate-key', 'retire-from-store',
      'reactivate-key', 'restore-to-store', 'rollback', 'held',
      'deactivate-key', 'retire-from-store', 'delete-key', 'purge-from-store',
    ]);

    // Too late once the old key is deleted: refused, saying why.
    const tooLate = await cli(['rollback', '--state', STATE, plan]);
    expect(tooLate.code).toBe(3);
    expect(tooLate.stderr).toContain(`cannot roll back svc: the old key ${old.keyId} is already deleted`);
    expect(await keysOf('svc')).toEqual([{ id: fresh.keyId, status: 'Active' }]);
    expectNoSecretShown();
  }, 90_000);
});

describe('keyrot approve against moto', () => {
  it('delete.requireApproval holds at delete (exit 3) until approved, then the run completes', async () => {
    await createUser('svc');
    const plan = iamPlan('svc', 'svc', { drain: '0s', lastUsed: undefined, soak: '0s', delete: { requireApproval: true } });
    expect((await rotate(plan)).code).toBe(0);
    noteSecrets('svc');
    const old = published('svc')!;

    const held = await rotate(plan);
    expect(held.code).toBe(3);
    noteSecrets('svc');
    const fresh = published('svc')!;
    expect(eventsOf(held, 'held')).toEqual([expect.objectContaining({ phase: 'delete', code: 'approval-required', hint: expect.stringContaining(`keyrot approve --state ${STATE} ${plan}`) })]);
    expect(await keysOf('svc')).toEqual(expect.arrayContaining([{ id: old.keyId, status: 'Inactive' }, { id: fresh.keyId, status: 'Active' }]));

    const stillHeld = await rotate(plan);
    expect(stillHeld.code).toBe(3);
    expect(await keysOf('svc')).toContainEqual({ id: old.keyId, status: 'Inactive' });

    const approved = await cli(['approve', '--state', STATE, plan]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`the delete of ${old.keyId} is approved`);
    expect(stateOf('svc').approvedBy).toMatch(/@/);

    const done = await rotate(plan);
    expect(done.code, done.stderr).toBe(0);
    expect(await keysOf('svc')).toEqual([{ id: fresh.keyId, status: 'Active' }]);
    const actions = auditOf(stateOf('svc').rotationId).map((r) => r.action);
    expect(actions.indexOf('approve')).toBeGreaterThan(actions.lastIndexOf('held'));
    expect(actions.indexOf('approve')).toBeLessThan(actions.indexOf('delete-key'));

    const nothing = await cli(['approve', '--state', STATE, plan]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('plan svc has no rotation in flight');
    expectNoSecretShown();
  }, 60_000);
});
