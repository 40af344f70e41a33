// keyrot doctor against the real peers: moto (IAM, STS) and OpenBao (Vault KV v2). A preflight that
// reports every problem at once, without side effects, and exits 4 when a provider check fails.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AddUserToGroupCommand, AttachGroupPolicyCommand, AttachUserPolicyCommand, CreateGroupCommand, CreatePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsKit } from '../helpers/aws-kit.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { startMoto, type Moto } from '../peers/moto.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';

let moto: Moto;
let bao: OpenBao;
let ws: Workspace;

beforeAll(async () => {
  [moto, bao] = await Promise.all([startMoto(), startOpenBao()]);
}, 300_000);
afterAll(async () => {
  await Promise.all([moto?.stop(), bao?.stop()]);
});
beforeEach(async () => {
  await moto.reset();
  ws = workspace();
  mkdirSync(path.join(ws.dir, 'plans'));
});
afterEach(() => ws.cleanup());

const { keyrot, iamClient, createUser, createKey, keysOf, iamPlan } = awsKit(() => ({ moto, ws }));

interface Check { check: string; status: string; detail: string; hint?: string }
interface Report { plan: string; ok: boolean; providers: Array<{ role: string; provider: string; checks: Check[] }> }
const checksOf = (doc: { plans: Report[] }, plan: string) => doc.plans.find((p) => p.plan === plan)!.providers.flatMap((p) => p.checks);

const KINDS = ['data', 'metadata', 'delete', 'undelete', 'destroy'] as const;
/** A token whose policy grants, on the plan's secret, every kind of path except those left out. */
async function vaultToken(secretPath: string, without: string[] = []): Promise<string> {
  const name = `doctor-${path.basename(secretPath)}-${without.join('-') || 'all'}`;
  await bao.policy(name, KINDS.filter((k) => !without.includes(k))
    .map((k) => `path "secret/${k}/${secretPath}" { capabilities = [${k === 'data' ? '"create", "read", "update"' : k === 'metadata' ? '"create", "update"' : '"update"'}] }`)
    .join('\n'));
  return bao.token([name]);
}

/** A generated key published to a file and to Vault KV v2 on OpenBao. */
const vaultPlan = (name: string, secretPath: string) =>
  ws.write(`plans/${name}.yaml`, JSON.stringify(localPlan(name, {
    publish: [{ type: 'file', path: `${name}-keys.json` }, { type: 'vault-kv2', mount: 'secret', path: secretPath, data: { key_id: '{{keyId}}', api_key: '{{secret}}' } }],
  })));

describe('keyrot doctor against moto and OpenBao', () => {
  it('a Vault policy without destroy and an IAM user with two keys: both reported in one run, exit 4', async () => {
    await createUser('payments-service');
    await createKey('payments-service');
    await createKey('payments-service');
    const before = await keysOf('payments-service');
    iamPlan('payments', 'payments-service');
    ws.write('plans/payments.yaml', ws.read('payments.yaml'));
    const secretPath = `apps/${path.basename(ws.dir)}`;
    vaultPlan('api', secretPath);
    const token = await vaultToken(secretPath, ['destroy']);

    const out = await keyrot(['doctor', 'plans/'], { env: { VAULT_ADDR: bao.address, VAULT_TOKEN: token } });
    expect(out.code, out.stdout + out.stderr).toBe(4);
    expect(out.stdout).toMatch(/FAIL key count +aws-iam user payments-service already holds 2 keys, the most it allows: .*: the next rotation will be refused/);
    expect(out.stdout).toMatch(/FAIL permissions +vault secret\/apps\/\S+: the token's policies miss: /);
    expect(out.stdout).toContain(`the token's policies miss: secret/destroy/${secretPath} lacks "update" (delete: destroy it)`);
    expect(out.stdout).toContain('hint: grant those capabilities in the policy of the token keyrot uses (`keyrot init` writes the policy a plan needs as a comment), then check again: `keyrot doctor plans/api.yaml`');
    expect(out.stdout).not.toContain(token);

    const json = await keyrot(['doctor', '--json', 'plans/'], { env: { VAULT_ADDR: bao.address, VAULT_TOKEN: token } });
    expect(json.code).toBe(4);
    const doc = JSON.parse(json.stdout) as { type: string; ok: boolean; plans: Report[] };
    expect(doc).toMatchObject({ type: 'doctor', ok: false });
    expect(checksOf(doc, 'payments')).toContainEqual(expect.objectContaining({ check: 'key count', status: 'fail', hint: expect.stringContaining('iam:DeleteAccessKey') }));
    expect(checksOf(doc, 'payments')).toContainEqual(expect.objectContaining({ check: 'credentials', status: 'pass', detail: expect.stringContaining('arn:aws:') }));
    expect(checksOf(doc, 'api')).toContainEqual(expect.objectContaining({ check: 'permissions', status: 'fail', detail: expect.stringContaining(`secret/destroy/${secretPath}`) }));
    expect(checksOf(doc, 'api')).toContainEqual(expect.objectContaining({ check: 'credentials', status: 'pass', detail: expect.stringMatching(/^token from VAULT_TOKEN: .*policies .*doctor-/) }));
    // No side effects: the keys are as they were, nothing was published.
    expect(await keysOf('payments-service')).toEqual(before);
    expect(ws.exists('plans/api-keys.json')).toBe(false);
    expect((await bao.root.get(`secret/metadata/${secretPath}`)).status).toBe(404);
  });

  it('everything in order: exit 0, with SimulatePrincipalPolicy "not checked" where moto does not support it', async () => {
    await createUser('search-service');
    await createKey('search-service');
    iamPlan('search', 'search-service');
    const secretPath = `apps/${path.basename(ws.dir)}-ok`;
    vaultPlan('api', secretPath);
    const out = await keyrot(['doctor', '--json', 'search.yaml', 'plans/api.yaml'], { env: { VAULT_ADDR: bao.address, VAULT_TOKEN: await vaultToken(secretPath) } });
    expect(out.code, out.stdout + out.stderr).toBe(0);
    const doc = JSON.parse(out.stdout) as { ok: boolean; plans: Report[] };
    expect(doc.ok).toBe(true);
    const search = checksOf(doc, 'search');
    // moto 5.2.5 has no SimulatePrincipalPolicy: said so, not passed (and not a failure).
    expect(search.find((c) => c.check === 'permissions')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/^not checked: the endpoint does not support iam:SimulatePrincipalPolicy/) });
    expect(search).toContainEqual(expect.objectContaining({ check: 'key count', status: 'pass' }));
    expect(search).toContainEqual(expect.objectContaining({ check: 'least privilege', status: 'pass' }));
    expect(checksOf(doc, 'api').every((c) => c.status === 'pass')).toBe(true);
  });

  it('least privilege: a rotated user with "*" on "*" inline, or AdministratorAccess attached, is a warning (exit 0)', async () => {
    await createUser('ops-bot');
    await iamClient().send(new PutUserPolicyCommand({
      UserName: 'ops-bot', PolicyName: 'everything', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }));
    // moto holds AWS's managed policies only when told to load them: a policy of the same name stands in.
    const everything = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] });
    const admin = await iamClient().send(new CreatePolicyCommand({ PolicyName: 'AdministratorAccess', PolicyDocument: everything }));
    await createUser('admin-bot');
    await iamClient().send(new AttachUserPolicyCommand({ UserName: 'admin-bot', PolicyArn: admin.Policy!.Arn! }));
    // A managed policy allowing "*" on "*", reaching the user through a group.
    const wide = await iamClient().send(new CreatePolicyCommand({ PolicyName: 'wide-open', PolicyDocument: everything }));
    await iamClient().send(new CreateGroupCommand({ GroupName: 'ops' }));
    await iamClient().send(new AttachGroupPolicyCommand({ GroupName: 'ops', PolicyArn: wide.Policy!.Arn! }));
    await createUser('group-bot');
    await iamClient().send(new AddUserToGroupCommand({ GroupName: 'ops', UserName: 'group-bot' }));
    iamPlan('ops', 'ops-bot');
    iamPlan('admin', 'admin-bot');
    iamPlan('grouped', 'group-bot');
    const out = await keyrot(['doctor', 'ops.yaml', 'admin.yaml', 'grouped.yaml']);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/WARN least privilege +user ops-bot has admin-level access: its inline policy everything allows "\*" on "\*"\. A leak of its key is a leak of the account/);
    expect(out.stdout).toMatch(/WARN least privilege +user admin-bot has admin-level access: attached policy arn:aws:iam::\d{12}:policy\/AdministratorAccess/);
    expect(out.stdout).toMatch(/WARN least privilege +user group-bot has admin-level access: group ops's policy arn:aws:iam::\d{12}:policy\/wide-open allows "\*" on "\*"/);
  });

  it('credentials that do not resolve, a Vault token that is not valid, an unreachable endpoint: failures, not crashes', async () => {
    await createUser('payments-service');
    iamPlan('payments', 'payments-service');
    vaultPlan('api', 'apps/whatever');
    await moto.requireAuth(true);
    try {
      const out = await keyrot(['doctor', '--json', 'payments.yaml', 'plans/api.yaml'], { env: { VAULT_ADDR: bao.address, VAULT_TOKEN: 'not-a-token' } });
      expect(out.code).toBe(4);
      const doc = JSON.parse(out.stdout) as { plans: Report[] };
      // Without credentials, one finding: not the same failure again for every IAM call.
      expect(doc.plans.find((p) => p.plan === 'payments')!.providers[0]!.checks).toEqual([
        expect.objectContaining({ check: 'credentials', status: 'fail', hint: expect.stringContaining('then run `keyrot doctor payments.yaml` again') }),
      ]);
      expect(checksOf(doc, 'api')).toContainEqual(expect.objectContaining({ check: 'credentials', status: 'fail' }));
      expect(out.stdout).not.toContain('not-a-token');
    } finally {
      await moto.requireAuth(false);
    }
    const down = await keyrot(['doctor', 'plans/api.yaml'], { env: { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: 'x' } });
    expect(down.code).toBe(4);
    expect(down.stdout).toMatch(/FAIL endpoint +vault secret\/apps\/whatever .*cannot connect to http:\/\/127\.0\.0\.1:9/);
  });

  it('invalid plans: exit 2, nothing asked', async () => {
    ws.write('broken.yaml', 'apiVersion: keyrot/v1\nname: Broken\n');
    expect((await keyrot(['doctor', 'broken.yaml'])).code).toBe(2);
  });
});
