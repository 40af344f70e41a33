// The vault-approle preset end to end on real OpenBao, through the built binary: a full rotation
// (AppRole cannot switch a secret_id off, so deactivate is skipped and said so), a crash right
// after create (the orphan secret_id is found by its accessor and destroyed on resume), the key
// limit, and revoke of a leaked secret_id found by the fingerprint of its secret. A secret_id
// without keyrot's marker, on the same role, is never touched.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { keyrot, type CliResult } from '../helpers/cli.js';
import { leakedIndexes, readAudit, readStore, secretsIn } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { startOpenBao, type OpenBao } from '../peers/openbao.js';

let bao: OpenBao;
beforeAll(async () => {
  bao = await startOpenBao();
}, 180_000);
afterAll(() => bao?.stop());

let ws: Workspace;
let role: string;
let foreignAccessor: string;
let n = 0;
beforeEach(async () => {
  ws = workspace();
  role = `payments-${++n}`;
  const { roleId } = await bao.appRole(role, ['default']);
  const listed = (await bao.root.get(`auth/approle/role/${role}/secret-id?list=true`)).body as { data: { keys: string[] } };
  foreignAccessor = listed.data.keys[0]!; // minted by the helper, without keyrot's marker
  ws.plan('approle', {
    apiVersion: 'keyrot/v1', name: 'approle', drain: '0s', soak: '0s',
    source: { type: 'http', preset: 'vault-approle', baseUrl: bao.address, auth: { type: 'headers', headersFromEnv: { 'X-Vault-Token': 'VAULT_TOKEN' } }, values: { role, roleId } },
    publish: [{ type: 'file', path: 'approle.json' }],
  });
});
afterEach(() => ws.cleanup());

const env = () => ({ VAULT_TOKEN: bao.rootToken });
const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => keyrot([...args], { cwd: ws.dir, env: { ...env(), ...extra } });
const accessors = async () => (((await bao.root.get(`auth/approle/role/${role}/secret-id?list=true`)).body as { data?: { keys: string[] } } | null)?.data?.keys ?? []).sort();
const current = () => readStore(path.join(ws.dir, 'approle.json')).current!;
const text = (...runs: CliResult[]) => runs.map((r) => r.stdout + r.stderr).join('\n');
/** Everything keyrot printed or wrote beside the store: state, audit, ledger. */
const written = () => ['state/approle.json', 'audit.jsonl', 'generated/approle.json'].map((f) => path.join(ws.dir, '.keyrot', f)).filter(existsSync).map((f) => readFileSync(f, 'utf8')).join('\n');
const login = async (secretId: string) => (await bao.root.post(`auth/approle/login`, { role_id: (await bao.root.get(`auth/approle/role/${role}/role-id`)).body.data.role_id, secret_id: secretId })).status;

describe('vault-approle on OpenBao', () => {
  it('rotates: a new secret_id logs in, the old one is destroyed, the foreign one untouched', async () => {
    const first = await run(['run', 'approle.yaml']);
    expect(first.code, text(first)).toBe(0);
    const old = current();
    const rotated = await run(['run', '--yes', 'approle.yaml']);
    expect(rotated.code, text(rotated)).toBe(0);
    expect(rotated.stdout).toContain(`cannot deactivate keys: ${old.keyId} stays valid there until it is deleted after the soak`);
    const now = current();
    expect(await accessors()).toEqual([foreignAccessor, now.keyId].sort());
    expect(await login(now.secret)).toBe(200);
    expect(await login(old.secret)).toBeGreaterThanOrEqual(400);
    expect(leakedIndexes(text(first, rotated) + written(), [old.secret, now.secret])).toEqual([]);
  });

  it('doctor: the token works and holds every capability (sys/capabilities-self), the key count, and warns that AppRole cannot deactivate a secret_id', async () => {
    const doctor = await run(['doctor', 'approle.yaml']);
    expect(doctor.code, text(doctor)).toBe(0);
    expect(doctor.stdout).toContain('admin credential from $VAULT_TOKEN');
    expect(doctor.stdout).toContain('Vault AppRole: POST /v1/sys/capabilities-self: the token holds every capability the preset needs');
    expect(doctor.stdout).toContain('0 of 2 key slots used');
    expect(doctor.stdout).toMatch(/cannot deactivate keys: a rotation skips it, and the old key stays valid until it is deleted after the soak \(0s\)/);
    const refused = await run(['doctor', 'approle.yaml'], { VAULT_TOKEN: 'not-a-token-0123456789' });
    expect(refused.code).toBe(4);
    // OpenBao answers 403 to an invalid or expired token as to a missing capability: the message says both.
    expect(refused.stdout).toMatch(/Vault AppRole: list \(LIST \/v1\/auth\/approle\/role\/payments-\d+\/secret-id\) answered 403: the admin credential \(\$VAULT_TOKEN\) is invalid or expired, or may not do this/);
  });

  it('doctor: a token that may list and create but not destroy is named, capability by capability, with the policy it needs (exit 4)', async () => {
    await bao.policy(`narrow-${role}`, `path "auth/approle/role/${role}/secret-id" { capabilities = ["update", "list"] }\npath "auth/approle/role/${role}/secret-id-accessor/lookup" { capabilities = ["update"] }`);
    const narrow = await bao.token([`narrow-${role}`]);
    const doctor = await run(['doctor', 'approle.yaml'], { VAULT_TOKEN: narrow });
    expect(doctor.code, text(doctor)).toBe(4);
    expect(doctor.stdout).toContain(`Vault AppRole: POST /v1/sys/capabilities-self shows the admin credential lacks update (at $.data['auth/approle/role/${role}/secret-id-accessor/destroy'])`);
    expect(doctor.stdout).toContain(`path "auth/approle/role/${role}/secret-id-accessor/destroy" { capabilities = ["update"] }`);
    expect(doctor.stdout).toContain('keyrot doctor approle.yaml');
  });

  it('a crash right after create: the orphan secret_id is found by its accessor and destroyed on resume', async () => {
    expect((await run(['run', 'approle.yaml'])).code).toBe(0);
    const old = current();
    const killed = await run(['run', '--yes', 'approle.yaml'], { KEYROT_TEST_KILL_AFTER: 'create:acting#2' });
    expect(killed.signal).toBe('SIGKILL');
    const orphan = (await accessors()).find((a) => a !== foreignAccessor && a !== old.keyId)!;
    expect(orphan).toBeDefined();

    const resumed = await run(['run', '--yes', 'approle.yaml']);
    expect(resumed.code, text(resumed)).toBe(0);
    expect(readAudit(path.join(ws.dir, '.keyrot')).filter((r) => r.action === 'delete-orphan-key').map((r) => r.detail)).toEqual([expect.stringContaining(orphan)]);
    expect(await accessors()).toEqual([foreignAccessor, current().keyId].sort());
    expect(current().keyId).not.toBe(orphan);
    expect(leakedIndexes(text(killed, resumed) + written(), secretsIn(readStore(path.join(ws.dir, 'approle.json'))))).toEqual([]);
  });

  it('at the limit (maxKeys) it refuses before creating anything (exit 3), naming the keys', async () => {
    expect((await run(['run', 'approle.yaml'])).code).toBe(0);
    // A second keyrot secret_id of this plan, made by hand: two of two slots used.
    await bao.root.post(`auth/approle/role/${role}/secret-id`, { metadata: JSON.stringify({ keyrot_plan: 'approle', keyrot_name: 'by-hand' }) });
    const before = await accessors();
    const refused = await run(['run', '--yes', 'approle.yaml']);
    expect(refused.code, text(refused)).toBe(3);
    expect(refused.stderr).toMatch(/Vault AppRole \(vault-approle\) at 127\.0\.0\.1:\d+ already holds 2 keys, the most it allows/);
    expect(await accessors()).toEqual(before);
  });

  it('revoke --from-report: the leaked secret_id is found by its fingerprint and destroyed at once, then replaced', async () => {
    expect((await run(['run', 'approle.yaml'])).code).toBe(0);
    const leaked = current();
    ws.write('gitleaks.json', JSON.stringify([{ RuleID: 'generic-api-key', File: 'deploy/app.env', StartLine: 4, Match: `SECRET_ID=${leaked.secret}`, Secret: leaked.secret }]));
    const revoked = await run(['revoke', '--from-report', 'gitleaks.json', '--yes', '.']);
    expect(revoked.code, text(revoked)).toBe(0);
    expect(revoked.stdout).toContain(`found: ${leaked.keyId} of plan approle, leaked at deploy/app.env:4`);
    expect(revoked.stdout).toContain(`deleted leaked key ${leaked.keyId} at once`);
    expect(await accessors()).toEqual([foreignAccessor, current().keyId].sort());
    expect(await login(leaked.secret)).toBeGreaterThanOrEqual(400);
    expect(leakedIndexes(text(revoked) + written(), [leaked.secret, current().secret])).toEqual([]);
  });
});
