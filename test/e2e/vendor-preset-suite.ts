// The scenarios every vendor preset runs end to end through the built binary, against its test
// server (test/peers/vendors/), which checks every request keyrot sends against the vendor's
// published description: a rotation with zero waits, plan and doctor, a crash after create, the
// limits, refused credentials, 429 with and without the vendor's wait header, a vendor that never
// answers, a long paged list, and revoke by id and by fingerprint. Foreign keys sit beside keyrot's
// on every account and are never touched; no secret is printed or written; and the server records
// no request that breaks the vendor's description (asserted after every test).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot, type CliResult } from '../helpers/cli.js';
import { leakedIndexes, readAudit, readStore } from '../helpers/inspect.js';
import { startRig, type VendorKey, type VendorRig } from '../helpers/vendor-rigs.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

export interface VendorExpectations {
  /** Calls `keyrot plan` shows, as "<vendor>: <METHOD> <path>". */
  planCalls: string[];
  /** Lines `keyrot doctor` prints when all is well. */
  doctor: string[];
  /** The vendor reports last use (the quiet gate then holds on a key used moments ago). */
  lastUse: boolean;
  /** The vendor has its own key limit (the rig's setVendorLimit). */
  vendorLimit: boolean;
  /** The admin credential can be narrowed (restrictAdmin): what doctor makes of it, where the vendor can be asked. */
  restricted?: { doctorCode: number; doctorSays: string };
  /** A list long enough to page: how many foreign keys, the pages keyrot then reads, and the keys there in all. */
  longList: { seed: number; pages: number; total: number };
}

export interface SuiteContext {
  rig: VendorRig;
  ws: Workspace;
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  current(): { keyId: string; secret: string };
  ours(): VendorKey[];
  /** Everything keyrot wrote beside the store: state, audit log, ledger. */
  written(): string;
}

const PLAN = 'vendor';
export const text = (...runs: CliResult[]) => runs.map((r) => r.stdout + r.stderr).join('\n');

export function vendorPresetSuite(preset: VendorRig['preset'], expected: VendorExpectations, more?: (t: () => SuiteContext) => void): void {
  const t = {} as SuiteContext;
  const writePlan = (extra: Record<string, unknown> = {}) =>
    t.ws.plan(PLAN, {
      apiVersion: 'keyrot/v1', name: PLAN, drain: '0s', soak: '0s', lastUsed: { quietFor: '30m', maxWait: '0s' },
      source: { ...t.rig.source, timeout: '2s', connectTimeout: '2s', verifyTimeout: '3s', attempts: 3, maxRetryWait: '10s', ...extra },
      publish: [{ type: 'file', path: 'keys.json' }],
    });

  beforeEach(async () => {
    t.rig = await startRig(preset);
    t.ws = workspace();
    writePlan();
    t.run = (args, env = {}) => keyrot(args, { cwd: t.ws.dir, env: { ...t.rig.env, ...env } });
    t.current = () => readStore(path.join(t.ws.dir, 'keys.json')).current!;
    t.ours = () => t.rig.keys().filter((k) => k.name.startsWith(`keyrot-${PLAN}-`));
    t.written = () => {
      const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)])) : []);
      return walk(path.join(t.ws.dir, '.keyrot')).map((f) => readFileSync(f, 'utf8')).join('\n');
    };
  });
  afterEach(async () => {
    expect(t.rig.server.violations, 'requests that break the vendor\'s description').toEqual([]);
    await t.rig.close();
    t.ws.cleanup();
  });

  const plan = `${PLAN}.yaml`;
  /** `<accountSid>` in an expectation: the plan's value. */
  const filled = (line: string) => line.replace(/<(\w+)>/g, (_, name: string) => String((t.rig.source.values as Record<string, unknown>)[name]));
  const noSecretIn = (output: string, ...secrets: string[]) =>
    expect(leakedIndexes(output + t.written(), [...secrets, ...t.rig.adminSecrets, ...t.rig.keys().map((k) => k.secret).filter(Boolean)])).toEqual([]);
  /** The first key, used (by its verify) an hour ago by the vendor's clock, so it is quiet for the gate; `used: 'now'` leaves it just used. */
  const firstRun = async (used: 'an hour ago' | 'now' = 'an hour ago') => {
    if (used !== 'now') t.rig.shiftClock(-3_600_000);
    const first = await t.run(['run', plan]);
    t.rig.shiftClock(0);
    expect(first.code, text(first)).toBe(0);
    return t.current();
  };
  const audit = () => readAudit(path.join(t.ws.dir, '.keyrot'));

  describe(`the ${preset} preset through keyrot`, () => {
    it('plan shows each phase\'s calls with the vendor\'s paths; doctor passes and checks what the vendor can tell', async () => {
      const shown = await t.run(['plan', plan]);
      expect(shown.code, text(shown)).toBe(0);
      for (const call of expected.planCalls) expect(shown.stdout).toContain(filled(call));
      const doctor = await t.run(['doctor', plan]);
      expect(doctor.code, text(doctor)).toBe(0);
      for (const line of expected.doctor) expect(doctor.stdout).toContain(filled(line));
      expect(doctor.stdout).toContain('0 of 2 key slots used');
    });

    it('rotates with zero waits: the new key verified and published, the old one retired, foreign keys untouched, no secret shown', async () => {
      const foreign = t.rig.seedForeign(2);
      const old = await firstRun();
      const rotated = await t.run(['run', '--yes', plan]);
      expect(rotated.code, text(rotated)).toBe(0);
      const now = t.current();
      expect(now.keyId).not.toBe(old.keyId);
      expect(t.ours().map((k) => k.id)).toEqual([now.keyId]);
      expect(t.rig.keys().filter((k) => foreign.some((f) => f.id === k.id))).toEqual(foreign);
      const retired = audit().filter((r) => r.action === 'delete-key').map((r) => `${r.outcome}:${r.detail}`);
      expect(retired).toEqual([`ok:deleted ${old.keyId}`]);
      if (expected.lastUse) expect(rotated.stdout).toMatch(new RegExp(`old key ${old.keyId} last used: \\d{4}-.*\\n.*quiet for 1h`));
      noSecretIn(text(rotated), old.secret, now.secret);
    });

    it(expected.lastUse
      ? 'the quiet gate: an old key used moments ago holds the rotation (exit 3) before anything is retired'
      : 'the quiet gate: the vendor does not report last use, and keyrot says so instead of waiting', async () => {
      const old = await firstRun('now'); // its verify used it just now
      const held = await t.run(['run', '--yes', plan]);
      if (!expected.lastUse) {
        expect(held.code, text(held)).toBe(0);
        expect(held.stdout).toContain(`old key ${old.keyId} last used: not reported by the issuer`);
        return;
      }
      expect(held.code, text(held)).toBe(3);
      expect(held.stderr).toContain(`old key ${old.keyId} was still used`);
      expect(t.ours().map((k) => [k.id, k.status])).toContainEqual([old.keyId, 'active']);
    });

    it('a crash after create (the key exists, its answer never came): exit 4, and the next run deletes the orphan and rotates', async () => {
      const old = await firstRun();
      t.rig.server.fail(1, { kind: 'stall-body' }, { operationId: t.rig.ops.create });
      const cut = await t.run(['run', '--yes', plan]);
      expect(cut.code, text(cut)).toBe(4);
      expect(cut.stderr).toMatch(new RegExp(`${t.rig.vendor}: create \\(.*\\) got no answer`));
      const orphan = t.ours().find((k) => k.id !== old.keyId)!;
      expect(orphan).toBeDefined();
      const resumed = await t.run(['run', '--yes', plan]);
      expect(resumed.code, text(resumed)).toBe(0);
      expect(audit().filter((r) => r.action === 'delete-orphan-key').map((r) => r.detail)).toEqual([expect.stringContaining(orphan.id)]);
      expect(t.ours().map((k) => k.id)).toEqual([t.current().keyId]);
      expect([old.keyId, orphan.id]).not.toContain(t.current().keyId);
      noSecretIn(text(cut, resumed));
    });

    it('at keyrot\'s limit (maxKeys) it refuses before creating anything (exit 3), naming the keys', async () => {
      await firstRun();
      t.rig.seedOurs(PLAN);
      const before = t.rig.keys();
      const refused = await t.run(['run', '--yes', plan]);
      expect(refused.code, text(refused)).toBe(3);
      expect(refused.stderr).toMatch(new RegExp(`${t.rig.vendor} \\(${preset}\\) at 127\\.0\\.0\\.1:\\d+ already holds 2 keys, the most it allows`));
      expect(t.rig.keys()).toEqual(before);
    });

    it('a refused admin credential exits 4 naming the vendor, the call and where the credential comes from; doctor too', async () => {
      const status = t.rig.revokeAdmin();
      const refused = await t.run(['run', plan]);
      expect(refused.code, text(refused)).toBe(4);
      expect(refused.stderr).toMatch(new RegExp(`${t.rig.vendor}: (list|doctor) \\(.*\\) answered ${status}`));
      expect(refused.stderr).toContain(`keyrot doctor ${plan}`);
      const doctor = await t.run(['doctor', plan]);
      expect(doctor.code, text(doctor)).toBe(4);
      expect(doctor.stdout).toContain(`answered ${status}`);
      noSecretIn(text(refused, doctor));
      expect(t.ours()).toEqual([]);
    });

    it('429 with the vendor\'s wait header waits as asked; without one it backs off; a 429 that never ends gives up (exit 4)', async () => {
      t.rig.server.fail(1, { kind: 'rate-limit', retryAfterSeconds: 2 }, { operationId: t.rig.ops.create });
      t.rig.server.fail(1, { kind: 'rate-limit' }, { operationId: t.rig.ops.list });
      const started = Date.now();
      const first = await t.run(['run', plan]);
      expect(first.code, text(first)).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // the wait asked for (SendGrid's is a reset time, up to a second less)
      expect(text(first)).toContain(`${t.rig.vendor}: create answered 429; attempt 2 of 3`);
      expect(t.ours()).toHaveLength(1);

      t.rig.server.fail(3, { kind: 'rate-limit' }, { operationId: t.rig.ops.list });
      const limited = await t.run(['run', '--yes', plan]);
      expect(limited.code, text(limited)).toBe(4);
      expect(limited.stderr).toContain('was still rate limited (429) after 3 attempts');
      expect(limited.stderr).toContain('it sent no Retry-After');

      t.rig.server.fail(1, { kind: 'rate-limit', retryAfterSeconds: 3_600 }, { operationId: t.rig.ops.list });
      const tooLong = await t.run(['run', '--yes', plan]);
      expect(tooLong.code, text(tooLong)).toBe(4);
      expect(tooLong.stderr).toMatch(/it asked to wait (59m\d+s|1h(\d+s)?), more than maxRetryWait \(10s\)/); // SendGrid's reset time: up to a second less
    });

    it('a vendor that never answers a create: exit 4 after the timeout, nothing created, and the next run goes on', async () => {
      t.rig.server.fail(1, { kind: 'stall' }, { operationId: t.rig.ops.create });
      const stalled = await t.run(['run', plan]);
      expect(stalled.code, text(stalled)).toBe(4);
      expect(stalled.stderr).toMatch(new RegExp(`${t.rig.vendor}: create \\(.*\\) got no answer: no complete answer within 2000 ms`));
      expect(t.ours()).toEqual([]);
      const again = await t.run(['run', plan]);
      expect(again.code, text(again)).toBe(0);
      expect(t.ours().map((k) => k.id)).toEqual([t.current().keyId]);
    });

    it(`a long list (${expected.longList.seed} foreign keys, ${expected.longList.pages} page(s)): keyrot reads every page and finds only its own key`, async () => {
      t.rig.setVendorLimit?.(10_000);
      t.rig.seedForeign(expected.longList.seed);
      const key = await firstRun();
      const from = t.rig.server.requests.length;
      const status = await t.run(['status', plan]);
      expect(status.code, text(status)).toBe(0);
      expect(status.stdout).toContain(key.keyId);
      expect(t.rig.server.requests.slice(from).filter((r) => r.operationId === t.rig.ops.list)).toHaveLength(expected.longList.pages);
      expect(t.ours().map((k) => k.id)).toEqual([key.keyId]);
      expect(t.rig.keys()).toHaveLength(expected.longList.total); // the foreign ones, keyrot's, and the admin's own where it is a key
    });

    it('revoke --key: the leaked key is switched off (or, where the vendor cannot, deleted) at once and replaced; without a terminal it needs --yes', async () => {
      const foreign = t.rig.seedForeign(1);
      const leaked = await firstRun();
      const unattended = await t.run(['revoke', '--key', leaked.keyId, '.']);
      expect(unattended.code, text(unattended)).toBe(3);
      expect(unattended.stderr).toContain('--yes');
      const revoked = await t.run(['revoke', '--key', leaked.keyId, '--yes', '.']);
      expect(revoked.code, text(revoked)).toBe(0);
      expect(t.current().keyId).not.toBe(leaked.keyId);
      const left = t.ours().find((k) => k.id === leaked.keyId);
      expect(left?.status ?? 'deleted').toBe(t.rig.preset === 'cloudflare' ? 'disabled' : 'deleted');
      expect(t.rig.keys().filter((k) => k.id === foreign[0]!.id)).toEqual(foreign);
      noSecretIn(text(unattended, revoked), leaked.secret);
    });

    it('revoke --from-report: a leaked secret is traced to its key by fingerprint and revoked', async () => {
      const leaked = await firstRun();
      t.ws.write('gitleaks.json', JSON.stringify([{ RuleID: 'generic-api-key', File: 'deploy/app.env', StartLine: 4, Match: `KEY=${leaked.secret}`, Secret: leaked.secret }]));
      const revoked = await t.run(['revoke', '--from-report', 'gitleaks.json', '--yes', '.']);
      expect(revoked.code, text(revoked)).toBe(0);
      expect(revoked.stdout).toContain(`found: ${leaked.keyId} of plan ${PLAN}, leaked at deploy/app.env:4`);
      expect(t.current().keyId).not.toBe(leaked.keyId);
      noSecretIn(text(revoked), leaked.secret);
    });

    if (expected.vendorLimit) {
      it('at the vendor\'s own key limit (foreign keys count there too): exit 3 naming the limit, nothing created', async () => {
        await firstRun();
        const max = t.rig.vendorMax!;
        t.rig.seedForeign(max - t.rig.keys().length);
        const before = t.rig.keys();
        const refused = await t.run(['run', '--yes', plan]);
        expect(refused.code, text(refused)).toBe(3);
        expect(refused.stderr).toMatch(new RegExp(`${t.rig.vendor}: create \\(.*\\) answered 4\\d\\d: ${t.rig.vendor} allows ${max} .*, and it holds ${max}; nothing was created`));
        expect(t.rig.keys()).toEqual(before);
      });
    }

    if (expected.restricted) {
      const restricted = expected.restricted;
      it('an admin credential without the permission to create: 403 naming what it needs (exit 4); doctor says so where the vendor can tell', async () => {
        t.rig.restrictAdmin!();
        const denied = await t.run(['run', plan]);
        expect(denied.code, text(denied)).toBe(4);
        expect(denied.stderr).toMatch(new RegExp(`${t.rig.vendor}: create \\(.*\\) answered 403`));
        expect(denied.stderr).toContain('grant it');
        const doctor = await t.run(['doctor', plan]);
        expect(doctor.code, text(doctor)).toBe(restricted.doctorCode);
        expect(doctor.stdout).toContain(restricted.doctorSays);
        expect(t.ours()).toEqual([]);
      });
    }

    more?.(() => t);
  });
}
