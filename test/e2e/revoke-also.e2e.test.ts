// Both access keys of one IAM user leaked, both in one gitleaks report: the built keyrot against moto.
// The first key's revoke replaces it (the user is full, so the revoked key makes room); the second key,
// served by no target once the replacement is, is revoked inside that rotation instead of refused.
// What the user sees (exit code, lines) and what IAM holds afterwards, through the delete after the soak.
import { describe, expect, it } from 'vitest';
import { awsKit, motoSuite, type Run } from '../helpers/aws-kit.js';

const suite = motoSuite();
const { keyrot, run, createUser, createKey, keysOf, whoIs, iamPlan, published, sleep, STATE } = awsKit(() => suite);
const text = (...runs: Run[]) => runs.map((r) => r.stdout + r.stderr).join('\n');

const gitleaks = (findings: Array<{ file: string; line: number; keyId: string }>) =>
  suite.ws.write('gitleaks.json', JSON.stringify(findings.map((f) => ({
    RuleID: 'aws-access-token', Description: 'AWS', StartLine: f.line, File: f.file, Match: f.keyId, Secret: f.keyId, Fingerprint: `${f.file}:aws-access-token:${f.line}`,
  }))));

/** IAM user `svc` with its first key published by a rotation and a second made by hand, both named in
 *  one gitleaks report, revoked with --yes: the keys, the plan, and the revoke's run. */
async function bothKeysRevoked() {
  await createUser('svc');
  const plan = iamPlan('svc', 'svc');
  expect((await run(plan)).code).toBe(0); // the first key, published
  const served = published('svc')!.keyId;
  const stray = (await createKey('svc')).accessKeyId; // made by hand: the user's second key
  gitleaks([{ file: 'app/.env', line: 3, keyId: served }, { file: 'ci/deploy.sh', line: 9, keyId: stray }]);
  const revoked = await keyrot(['revoke', '--from-report', 'gitleaks.json', '--yes', '--state', STATE, plan]);
  expect(revoked.code, text(revoked)).toBe(0);
  return { plan, served, stray, revoked, replacement: published('svc')!.keyId };
}

describe('a gitleaks report with both access keys of one IAM user', () => {
  it('revokes both (exit 0): the first replaced, the second deactivated inside that rotation; the second\'s --delete after the soak ends it', async () => {
    const { plan, served, stray, revoked, replacement } = await bothKeysRevoked();
    expect([served, stray]).not.toContain(replacement);
    // IAM: the first key deleted to make room (two keys per user, an inactive one counts), the
    // replacement active and working, the second leaked key inactive.
    expect((await keysOf('svc')).sort((a, b) => a.id.localeCompare(b.id))).toEqual([{ id: replacement, status: 'Active' }, { id: stray, status: 'Inactive' }].sort((a, b) => a.id.localeCompare(b.id)));
    expect(await whoIs(replacement, published('svc')!.secret)).toBe('arn:aws:iam::123456789012:user/svc');
    expect(revoked.stdout).toContain(`revoked ${served}; replacement ${replacement} published; the leaked key was deleted to make room for it (the issuer was full)`);
    expect(revoked.stdout).toContain(`revoked ${stray}; the rotation in flight goes on where it stood, at soak (waiting); \`keyrot revoke --delete --key ${stray} --state ${STATE} ${plan}\` deletes it with ${served} after the soak`);
    expect(text(revoked)).not.toContain('revoke-conflict');
    // The summary: one row per key, each with its own last event (not the first key's twice).
    const table = revoked.stdout.slice(revoked.stdout.lastIndexOf('\nplan ')).trim().split('\n');
    expect(table).toEqual([
      'plan  outcome  last event',
      expect.stringMatching(/^svc {3}done {5}soak until \S+Z$/),
      `svc   done     revoked ${stray}; the rotation in flight goes on where it stood, at soak (waiting); \`keyrot revoke --delete --key ${stray} --state ${STATE} ${plan}\` deletes it with ${served} after the soak`,
      '2 keys in 1 plan: 2 done',
    ]);

    const status = await keyrot(['status', '--state', STATE, plan]);
    expect(status.stdout).toMatch(new RegExp(`^  also revoked \\(leaked\\) ${stray} at \\S+Z$`, 'm'));
    const history = await keyrot(['history', '--state', STATE, plan]);
    expect(history.stdout).toContain(`deactivated leaked key ${stray}`);
    expect(history.stdout).toContain(`${stray} leaked: seen at ci/deploy.sh:9 (gitleaks aws-access-token)`);

    await sleep(1_500); // the plan's soak is 1s
    // The first key is gone already (it made room), so the second is the one named: its revoke's delete.
    const deleted = await keyrot(['revoke', '--delete', '--key', stray, '--yes', '--state', STATE, plan]);
    expect(deleted.code, text(deleted)).toBe(0);
    expect(await keysOf('svc')).toEqual([{ id: replacement, status: 'Active' }]);
    expect(deleted.stdout).toContain(`deleted leaked ${stray} (revoked inside this rotation)`);
  }, 120_000);
});

describe('the second leaked key, its revoke abandoned before the delete', () => {
  it('abandon and status name it as not deleted; `revoke --delete --key` of it after its soak deletes it (exit 0)', async () => {
    const { plan, stray, replacement } = await bothKeysRevoked();

    const abandoned = await keyrot(['abandon', '--state', STATE, plan]);
    expect(abandoned.code, text(abandoned)).toBe(0);
    const advice = `leaked ${stray} inactive, not deleted: \`keyrot revoke --delete --key ${stray} --state ${STATE} ${plan}\` deletes it once its soak is over, or the plan's next rotation (\`keyrot run --state ${STATE} ${plan}\`) does`;
    expect(abandoned.stdout).toContain(advice);
    const status = await keyrot(['status', '--state', STATE, plan]);
    expect(status.stdout).toMatch(new RegExp(`^  also revoked \\(leaked\\) ${stray} at \\S+Z, not deleted$`, 'm'));
    expect(status.stdout).toContain(`  next: ${advice}`);
    expect((await keysOf('svc')).find((k) => k.id === stray)).toEqual({ id: stray, status: 'Inactive' });

    await sleep(1_500); // the plan's soak is 1s
    const deleted = await keyrot(['revoke', '--delete', '--key', stray, '--yes', '--state', STATE, plan]);
    expect(deleted.code, text(deleted)).toBe(0);
    expect(deleted.stdout).toContain(`deleted leaked ${stray}, inactive since `);
    expect(await keysOf('svc')).toEqual([{ id: replacement, status: 'Active' }]);
    const after = await keyrot(['status', '--state', STATE, plan]);
    expect(after.stdout).not.toContain(stray);
  }, 120_000);
});

describe('`revoke --delete --key` naming the first key, which made room for its replacement', () => {
  it('says plainly that keyrot deleted it already, and in which rotation; its revoke\'s delete deletes the second (exit 0)', async () => {
    const { plan, served, stray, replacement } = await bothKeysRevoked();
    const rotationId = (JSON.parse(suite.ws.read(`${STATE}/state/svc.json`)) as { rotationId: string }).rotationId;

    await sleep(1_500); // the plan's soak is 1s
    const deleted = await keyrot(['revoke', '--delete', '--key', served, '--yes', '--state', STATE, plan]);
    expect(deleted.code, text(deleted)).toBe(0);
    expect(text(deleted)).not.toContain('revoke-no-owner');
    expect(deleted.stdout).toContain(`${served} was deleted already by its own revoke, rotation ${rotationId} of plan svc (keyrot's records; \`keyrot history --state ${STATE} ${plan}\` says when and why); that revoke goes on`);
    expect(deleted.stdout).toContain(`deleted leaked ${stray} (revoked inside this rotation)`);
    expect(await keysOf('svc')).toEqual([{ id: replacement, status: 'Active' }]);
  }, 120_000);
});

describe('one leaked key of a full IAM user (a second key, not leaked, beside it)', () => {
  it('its revoke deletes it to make room; after the soak a cron run (no --yes) finishes that revoke, exit 0, asking for no `revoke --delete`', async () => {
    await createUser('svc');
    const plan = iamPlan('svc', 'svc');
    expect((await run(plan)).code).toBe(0);
    const served = published('svc')!.keyId;
    const other = (await createKey('svc')).accessKeyId; // the user's second key: IAM is full
    const revoked = await keyrot(['revoke', '--key', served, '--yes', '--state', STATE, plan]);
    expect(revoked.code, text(revoked)).toBe(0);
    const replacement = published('svc')!.keyId;
    expect(revoked.stdout).toContain('the leaked key was deleted to make room for it (the issuer was full)');

    await sleep(1_500); // the plan's soak is 1s
    const finished = await keyrot(['run', '--state', STATE, plan]); // plain output, no --yes, no terminal: what cron sees
    expect(finished.code, text(finished)).toBe(0);
    expect(text(finished)).not.toContain('approval-required');
    expect(finished.stdout).toContain(`${served} was deleted already, to make room for its replacement: no key left to delete`);
    expect((await keysOf('svc')).sort((a, b) => a.id.localeCompare(b.id))).toEqual([{ id: other, status: 'Active' }, { id: replacement, status: 'Active' }].sort((a, b) => a.id.localeCompare(b.id)));
    const status = await keyrot(['status', '--state', STATE, plan]);
    expect(status.stdout).toContain('nothing in flight');
  }, 120_000);
});
