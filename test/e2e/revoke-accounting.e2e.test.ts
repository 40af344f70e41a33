// keyrot revoke --from-report accounts for every finding, as `--key` does for one key: revoked, held
// by no plan that answered, or undecided because plans that could hold it could not be asked (named,
// exit 4). Every place a finding was seen is shown and audited. One search serves every finding:
// each plan is asked at most once, a stalled one costs one time limit, and a secret found in a key
// ledger costs no AWS call. AWS keys live in moto (behind a counting proxy); generated keys in their ledgers.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsKit, motoSuite, type Run } from '../helpers/aws-kit.js';
import { readAudit, readLedger, readStore } from '../helpers/inspect.js';
import { localPlan } from '../helpers/workspace.js';
import { startCountingProxy, type CountingProxy } from '../peers/counting-proxy.js';

const suite = motoSuite();
let proxy: CountingProxy;
beforeEach(async () => {
  proxy = await startCountingProxy(suite.moto.endpoint);
});
afterEach(async () => {
  await proxy.close();
});

const { keyrot, createUser, iamPlan, STATE } = awsKit(() => suite);
const stateDir = () => path.join(suite.ws.dir, STATE);
const text = (...runs: Run[]) => runs.map((r) => r.stdout + r.stderr).join('\n');
const NOT_HELD = 'AKIAZZZZZZZZZZZZZZZ1'; // an AWS key id no user in moto has

/** A generated-key plan with a current key: the secret a scanner finds. */
async function apiKey() {
  suite.ws.plan('api', localPlan('api'));
  expect((await keyrot(['run', '--yes', '--state', STATE, path.join(suite.ws.dir, 'api.yaml')])).code).toBe(0);
  return readStore(path.join(suite.ws.dir, 'api-keys.json')).current!;
}

/** Three AWS plans whose credentials are missing (a profile that does not exist): they cannot be asked. */
function plansWithoutCredentials() {
  for (const name of ['pay', 'ship', 'mail']) iamPlan(name, name, {}, { profile: 'nobody' });
}

const gitleaks = (findings: Array<{ rule: string; file: string; line: number; secret: string; match?: string }>) =>
  suite.ws.write('gitleaks.json', JSON.stringify(findings.map((f) => ({
    RuleID: f.rule, Description: f.rule, StartLine: f.line, File: f.file, Match: f.match ?? f.secret, Secret: f.secret, Fingerprint: `${f.file}:${f.rule}:${f.line}`,
  })), null, 2));

describe('revoke --from-report accounts for every finding', () => {
  it('revokes what it found, names the AWS key it could not decide and the plans it could not ask, audits every location, and exits 4', async () => {
    const api = await apiKey();
    await createUser('svc');
    iamPlan('svc', 'svc', {}, { endpoint: proxy.endpoint });
    plansWithoutCredentials();
    gitleaks([
      { rule: 'generic-api-key', file: 'app/config.js', line: 7, secret: api.secret, match: `apiKey: "${api.secret}"` },
      { rule: 'aws-access-token', file: 'config.env', line: 4, secret: NOT_HELD },
      { rule: 'generic-api-key', file: 'deploy/values.yaml', line: 12, secret: api.secret, match: `key: ${api.secret}` },
    ]);

    const revoked = await keyrot(['revoke', '--from-report', 'gitleaks.json', '--yes', '--state', STATE, suite.ws.dir]);
    expect(revoked.code, text(revoked)).toBe(4);
    // The generated key: revoked, every place it was seen shown.
    expect(readLedger(stateDir(), 'api').find((k) => k.id === api.keyId)?.status).toBe('inactive');
    expect(revoked.stdout).toContain(`found: ${api.keyId} of plan api, leaked at app/config.js:7 (gitleaks generic-api-key); deploy/values.yaml:12 (gitleaks generic-api-key)`);
    // The AWS key id: shown (an id is no secret), undecided, with the plans that could hold it named.
    expect(revoked.stderr).toMatch(new RegExp(`could not be decided: ${NOT_HELD}, seen at config.env:4 \\(gitleaks aws-access-token\\); these plans could hold it but could not be asked: (pay|ship|mail), (pay|ship|mail), (pay|ship|mail)`));
    for (const plan of ['pay', 'ship', 'mail']) expect(revoked.stderr).toContain(`could not ask plan ${plan} (${path.join(suite.ws.dir, `${plan}.yaml`)})`);
    expect(revoked.stderr).toMatch(/no plan that answered holds 1 of the 2 findings, and 3 plans that could hold it could not be asked/);
    expect(text(revoked)).not.toContain('not attributed');
    // The audit log keeps every location with the revoke.
    const leaked = readAudit(stateDir()).filter((r) => r.plan === 'api' && r.action === 'leak-report');
    expect(leaked.map((r) => r.detail)).toEqual([`${api.keyId} leaked: seen at app/config.js:7 (gitleaks generic-api-key); deploy/values.yaml:12 (gitleaks generic-api-key)`]);
  });

  it('with only the AWS finding: exit 4 naming the plans it could not ask, nothing revoked', async () => {
    plansWithoutCredentials();
    suite.ws.plan('api', localPlan('api'));
    gitleaks([{ rule: 'aws-access-token', file: 'config.env', line: 4, secret: NOT_HELD }]);
    const result = await keyrot(['revoke', '--from-report', 'gitleaks.json', '--yes', '--state', STATE, suite.ws.dir]);
    expect(result.code, text(result)).toBe(4);
    expect(result.stderr).toContain(`could not be decided: ${NOT_HELD}, seen at config.env:4`);
    expect(result.stderr).toMatch(/no plan that answered holds 1 of the 1 finding, and 3 plans that could hold it could not be asked: .*pay\.yaml/);
    expect(result.stderr).not.toContain('any finding');
    // The hint is this revoke as typed, to paste once those plans can be asked.
    expect(result.stderr).toContain(`then run \`keyrot revoke --from-report gitleaks.json --yes --state ${STATE} ${suite.ws.dir}\` again`);
  });

  it('an AWS key no plan that answered holds is said so, with its id; what was found is still revoked (exit 0)', async () => {
    const api = await apiKey();
    await createUser('svc');
    iamPlan('svc', 'svc', {}, { endpoint: proxy.endpoint });
    gitleaks([
      { rule: 'aws-access-token', file: 'config.env', line: 4, secret: NOT_HELD },
      { rule: 'generic-api-key', file: 'app/config.js', line: 7, secret: api.secret },
    ]);
    const revoked = await keyrot(['revoke', '--from-report', 'gitleaks.json', '--yes', '--state', STATE, suite.ws.dir]);
    expect(revoked.code, text(revoked)).toBe(0);
    expect(revoked.stderr).toContain(`not held by any plan that answered: ${NOT_HELD}, seen at config.env:4 (gitleaks aws-access-token)`);
    expect(proxy.take()).toMatchObject({ ListAccessKeys: 1 });
  });
});

describe('one owner search for every finding', () => {
  it('ten AWS findings and a stalled plan: that plan is asked once, and the command ends in one time limit, not ten', async () => {
    const api = await apiKey();
    await createUser('svc');
    iamPlan('svc', 'svc', {}, { endpoint: proxy.endpoint });
    proxy.stall(['ListAccessKeys']);
    const ids = Array.from({ length: 10 }, (_, i) => `AKIAZZZZZZZZZZZZZZ${String(i).padStart(2, '0')}`);
    gitleaks([...ids.map((id, i) => ({ rule: 'aws-access-token', file: `f${i}.env`, line: 1, secret: id })), { rule: 'generic-api-key', file: 'app.js', line: 2, secret: api.secret }]);

    const started = Date.now();
    const result = await keyrot(['revoke', '--from-report', 'gitleaks.json', '--yes', '--state', STATE, suite.ws.dir]);
    const took = Date.now() - started;
    expect(result.code, text(result)).toBe(4);
    expect(proxy.take()).toEqual({ ListAccessKeys: 1 });
    expect(result.stderr.match(/could not ask plan svc/g)).toHaveLength(1);
    expect(result.stderr.match(/could not be decided: AKIA/g)).toHaveLength(10);
    expect(readLedger(stateDir(), 'api').find((k) => k.id === api.keyId)?.status).toBe('inactive');
    // Each finding used to search on its own, one after another: ten time limits of 5 s (51 s seen).
    expect(took).toBeLessThan(25_000);
  }, 60_000);

  it('a secret found in a key ledger costs no AWS call, even with AWS plans in the folder', async () => {
    const api = await apiKey();
    await createUser('svc');
    iamPlan('svc', 'svc', {}, { endpoint: proxy.endpoint });
    gitleaks([{ rule: 'generic-api-key', file: 'app.js', line: 2, secret: api.secret }]);
    const result = await keyrot(['revoke', '--from-report', 'gitleaks.json', '--yes', '--state', STATE, suite.ws.dir]);
    expect(result.code, text(result)).toBe(0);
    expect(proxy.take()).toEqual({});
  });
});
