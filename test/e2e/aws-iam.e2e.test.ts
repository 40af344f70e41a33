// The built `keyrot` binary, run as a child process, rotating IAM access keys on moto.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, awsKit, motoSuite } from '../helpers/aws-kit.js';
import { savePointsIn } from '../helpers/cli.js';
import { readState } from '../helpers/inspect.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const suite = motoSuite();

const { keyrot, run, keyrotOutput, iamClient, createUser, keysOf, createKey, whoIs, createAdmin, iamPlan, published, sleep, STATE } = awsKit(() => suite);

// ---- the tests --------------------------------------------------------------------------------

describe('keyrot run with an aws-iam source, against moto', () => {
  it('rotates: the old key is gone, the one active key is the published one, and it authenticates', async () => {
    const admin = await createAdmin();
    await createUser('payments-service');
    await suite.moto.requireAuth(true); // from here on moto checks every signature, like AWS
    const plan = iamPlan('payments', 'payments-service');

    const first = await run(plan, [], { creds: admin });
    expect(first.code).toBe(0);
    const k1 = published('payments')!;
    expect(await keysOf('payments-service', admin)).toEqual([{ id: k1.keyId, status: 'Active' }]);

    const notDue = await run(plan, ['--due'], { creds: admin });
    expect(notDue.code).toBe(0);
    expect(notDue.events.map((e) => e.type)).toContain('not-due');
    expect(await keysOf('payments-service', admin)).toEqual([{ id: k1.keyId, status: 'Active' }]);

    const second = await run(plan, [], { creds: admin });
    expect(second.code).toBe(0);
    const k2 = published('payments')!;
    expect(second.events.find((e) => e.type === 'done')).toMatchObject({ oldKeyId: k1.keyId, newKeyId: k2.keyId });
    expect(await keysOf('payments-service', admin)).toEqual([{ id: k2.keyId, status: 'Active' }]);
    expect(await whoIs(k2.keyId, k2.secret)).toBe(`arn:aws:iam::${ACCOUNT}:user/payments-service`);
    expect(await whoIs(k1.keyId, k1.secret)).toBe('InvalidClientTokenId');

    const shown = keyrotOutput([first, notDue, second]);
    expect(shown.includes(k1.secret) || shown.includes(k2.secret)).toBe(false);
  });

  it('`keyrot plan` lists the IAM calls of each phase and changes nothing', async () => {
    await createUser('payments-service');
    await createKey('payments-service');
    const example = parse(readFileSync(path.join(REPO, 'rotation-plans', 'aws-iam-to-file.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    const plan = suite.ws.write('aws-iam-to-file.yaml', stringify({ ...example, source: { ...example.source, endpoint: suite.moto.endpoint } }));
    const before = await keysOf('payments-service');

    const dry = await keyrot(['plan', '--state', STATE, plan]);
    expect(dry.code).toBe(0);
    for (const call of [
      'iam:ListAccessKeys(UserName=payments-service)',
      'iam:CreateAccessKey(UserName=payments-service)',
      'sts:GetCallerIdentity() signed with the new key',
      'iam:GetAccessKeyLastUsed(AccessKeyId)',
      'iam:UpdateAccessKey(UserName=payments-service, Status=Inactive)',
      'iam:DeleteAccessKey(UserName=payments-service)',
    ]) {
      expect(dry.stdout).toContain(call);
    }
    expect(await keysOf('payments-service')).toEqual(before);
    expect(suite.ws.exists('.demo/payments-aws.json')).toBe(false);
  });

  it('refuses (exit 3) when the user already holds two keys, naming both and the clean-up', async () => {
    await createUser('svc');
    const active = await createKey('svc');
    const inactive = await createKey('svc');
    await iamClient().send(new UpdateAccessKeyCommand({ UserName: 'svc', AccessKeyId: inactive.accessKeyId, Status: 'Inactive' }));
    const before = await keysOf('svc');

    const refused = await keyrot(['run', '--yes', '--plain', '--state', STATE, iamPlan('svc', 'svc')]);
    expect(refused.code).toBe(3);
    const out = refused.stdout + refused.stderr;
    expect(out).toContain(`${active.accessKeyId} (active,`);
    expect(out).toContain(`${inactive.accessKeyId} (inactive,`);
    expect(out).toContain('last used never used');
    expect(out).toContain(`iam:DeleteAccessKey(UserName=svc) for ${inactive.accessKeyId}`);
    expect(await keysOf('svc')).toEqual(before);
  });

  it('with deleteInactiveKey, deletes the inactive key first (audited) and rotates', async () => {
    await createUser('svc');
    const active = await createKey('svc');
    const inactive = await createKey('svc');
    await iamClient().send(new UpdateAccessKeyCommand({ UserName: 'svc', AccessKeyId: inactive.accessKeyId, Status: 'Inactive' }));

    const done = await run(iamPlan('svc', 'svc', {}, { deleteInactiveKey: true }));
    expect(done.code).toBe(0);
    const current = published('svc')!;
    expect(await keysOf('svc')).toEqual([{ id: current.keyId, status: 'Active' }]);
    expect(done.events.find((e) => e.type === 'done')).toMatchObject({ oldKeyId: active.accessKeyId });
    expect(readFileSync(path.join(suite.ws.dir, STATE, 'audit.jsonl'), 'utf8')).toContain(`deleted inactive key ${inactive.accessKeyId}`);
  });

  it('a missing user is a plan error (exit 2) naming the account', async () => {
    const failed = await keyrot(['run', '--yes', '--plain', '--state', STATE, iamPlan('ghost', 'nobody')]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(`IAM user nobody does not exist in account ${ACCOUNT}`);
  });

  describe('the last-used gate', () => {
    /** A consumer still on the old key: calls STS with it until stopped. */
    function consumer(key: { keyId: string; secret: string }) {
      let stopped = false;
      const loop = (async () => {
        while (!stopped) {
          await whoIs(key.keyId, key.secret);
          await sleep(200);
        }
      })();
      return async () => {
        stopped = true;
        await loop;
      };
    }

    it('holds while the old key is in use and releases once it goes quiet', async () => {
      await createUser('svc');
      const plan = iamPlan('svc', 'svc', { lastUsed: { quietFor: '2s', maxWait: '60s' } });
      expect((await run(plan)).code).toBe(0);
      const old = published('svc')!;
      const stop = consumer(old);

      expect((await run(plan, ['--no-wait'])).code).toBe(75); // drain
      await sleep(1_200);
      for (let i = 0; i < 2; i++) {
        const waiting = await run(plan, ['--no-wait']);
        expect(waiting.code).toBe(75);
        expect(readState(path.join(suite.ws.dir, STATE), 'svc')?.phase).toBe('last-used');
        expect(await keysOf('svc')).toContainEqual({ id: old.keyId, status: 'Active' });
        await sleep(500);
      }

      await stop();
      await sleep(2_200);
      const released = await run(plan);
      expect(released.code).toBe(0);
      expect(await keysOf('svc')).toEqual([{ id: published('svc')!.keyId, status: 'Active' }]);
    });

    it('gives up at maxWait with exit 3 and the evidence, the old key untouched', async () => {
      await createUser('svc');
      const plan = iamPlan('svc', 'svc', { lastUsed: { quietFor: '5s', maxWait: '2s' } });
      expect((await run(plan)).code).toBe(0);
      const old = published('svc')!;
      const stop = consumer(old);
      try {
        const held = await keyrot(['run', '--yes', '--plain', '--state', STATE, plan]);
        expect(held.code).toBe(3);
        expect(held.stderr).toContain(`old key ${old.keyId} was still used`);
        expect(held.stderr).toContain('by sts in us-east-1');
        expect(await keysOf('svc')).toContainEqual({ id: old.keyId, status: 'Active' });
      } finally {
        await stop();
      }
    });
  });

  describe('SIGKILL right after every save, then resume', () => {
    // KEYROT_TEST_KILL_AFTER=phase:stage#n makes keyrot (test/helpers/faults.mjs) SIGKILL itself right
    // after the n-th save of that state; KEYROT_TEST_SAVES lists the saves a run makes.
    /** The save points of one run of `plan`, which it completes. */
    async function boundaries(plan: string): Promise<string[]> {
      const file = path.join(suite.ws.dir, 'saves.txt');
      rmSync(file, { force: true });
      const traced = await run(plan, [], { env: { KEYROT_TEST_SAVES: file } });
      expect(traced.code, traced.stderr).toBe(0);
      return savePointsIn(file);
    }

    /** Kill at one boundary, check the damage is bounded, resume, and check the outcome. */
    async function killAndResume(plan: string, name: string, boundary: string): Promise<void> {
      const before = (await keysOf(name)).map((k) => k.id);
      const killed = await run(plan, [], { env: { KEYROT_TEST_KILL_AFTER: boundary } });
      expect(killed.signal, `${boundary}: ${killed.stderr}`).toBe('SIGKILL');
      const saved = readState(path.join(suite.ws.dir, STATE), name)!;
      expect(`${saved.phase}:${saved.stage}`).toBe(boundary.split('#')[0]);
      expect((await keysOf(name)).length, boundary).toBeLessThanOrEqual(2);

      const resumed = await run(plan);
      expect(resumed.code, `resume after ${boundary}: ${resumed.stderr}`).toBe(0);
      const current = published(name)!;
      expect(await keysOf(name), `no orphan after ${boundary}`).toEqual([{ id: current.keyId, status: 'Active' }]);
      expect(before.includes(current.keyId), boundary).toBe(false);
      expect(await whoIs(current.keyId, current.secret), boundary).toBe(`arn:aws:iam::${ACCOUNT}:user/${name}`);
      const shown = [killed, resumed].flatMap((r) => [r.stdout, r.stderr]).join('\n');
      expect(shown.includes(current.secret), boundary).toBe(false);
    }

    const fast = { drain: '0s', soak: '0s', lastUsed: { quietFor: '1s', maxWait: '30s' } };

    it('while issuing the first key', async () => {
      await createUser('first-traced');
      const points = await boundaries(iamPlan('first-traced', 'first-traced', fast));
      expect([...new Set(points.map((b) => b.split(':')[0]))]).toEqual(expect.arrayContaining(['create', 'publish', 'verify', 'done']));
      for (const [i, boundary] of points.entries()) {
        const name = `first-${i}`;
        await createUser(name);
        await killAndResume(iamPlan(name, name, fast), name, boundary);
      }
    }, 120_000);

    it('during a rotation', async () => {
      await createUser('svc');
      const plan = iamPlan('svc', 'svc', fast);
      expect((await run(plan)).code).toBe(0); // the key to rotate
      // A wait's save (last-used:waiting) happens only when the old key was used within quietFor, which
      // depends on timing here: the saves around side effects are the ones every rotation makes.
      const points = (await boundaries(plan)).filter((b) => !b.includes(':waiting'));
      expect([...new Set(points.map((b) => b.split(':')[0]))]).toEqual(expect.arrayContaining(['create', 'publish', 'verify', 'deactivate', 'delete', 'done']));
      for (const boundary of points) {
        await killAndResume(plan, 'svc', boundary);
      }
    }, 300_000);
  });
});
