// keyrot revoke as on-call uses it on a real folder of plans: the owner is found although other
// plans cannot be asked (no credentials, endpoint down), and a secret scanner's report (gitleaks,
// trufflehog) becomes revoked and replaced keys in one command, with no reported secret repeated
// anywhere. AWS keys live in moto; generated keys in their ledgers.
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { awsKit, motoSuite, type Run } from '../helpers/aws-kit.js';
import { leakedIndexes, readLedger, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan } from '../helpers/workspace.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const suite = motoSuite();

const { keyrot, createUser, keysOf, iamPlan, published, STATE } = awsKit(() => suite);
const stateDir = () => path.join(suite.ws.dir, STATE);
const ledger = (plan: string) => Object.fromEntries(readLedger(stateDir(), plan).map((k) => [k.id, k.status]));
const text = (...runs: Run[]) => runs.map((r) => r.stdout + r.stderr).join('\n');

describe('revoke finds the owner no matter what', () => {
  it('in the shipped rotation-plans/ folder with no AWS credentials: the demo key is revoked, the AWS plans are not needed', async () => {
    cpSync(path.join(REPO, 'rotation-plans'), path.join(suite.ws.dir, 'plans'), { recursive: true, filter: (src) => !/\.keyrot|\.demo/.test(src) });
    const noCreds = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
    const issued = await keyrot(['run', '--yes', '--state', STATE, 'plans/demo.yaml'], { env: noCreds });
    expect(issued.code, issued.stderr).toBe(0);
    const leaked = readStore(path.join(suite.ws.dir, 'plans', '.demo', 'demo-api-keys.json')).current!.keyId;

    const revoked = await keyrot(['revoke', '--yes', '--key', leaked, '--state', STATE, 'plans/'], { env: noCreds });
    expect(revoked.code, text(revoked)).toBe(0);
    expect(ledger('demo')[leaked]).toBe('inactive');
    // The plans without credentials were never needed: named as not asked, and no reason to fail.
    expect(revoked.stdout).toMatch(/found .* in keyrot's records of plan demo; not asked: .*payments-aws/);
  });

  it('asks every issuer when keyrot has no record of the key: skips and names the plans it cannot ask, and still revokes', async () => {
    await createUser('svc');
    iamPlan('svc', 'svc', { drain: '0s', lastUsed: undefined, soak: '7d' });
    suite.ws.plan('broken', { ...localPlan('broken'), source: { type: 'aws-iam', user: 'svc', region: 'us-east-1', endpoint: 'http://127.0.0.1:9' } });
    suite.ws.plan('noprofile', { ...localPlan('noprofile'), source: { type: 'aws-iam', user: 'svc', region: 'us-east-1', profile: 'nobody', endpoint: suite.moto.endpoint } });
    suite.ws.plan('local', localPlan('local'));
    expect((await keyrot(['run', '--yes', '--state', STATE, path.join(suite.ws.dir, 'svc.yaml')])).code).toBe(0);
    const leaked = published('svc')!.keyId;
    rmSync(path.join(stateDir(), 'audit.jsonl')); // keyrot's records lost: only the issuers can say
    rmSync(path.join(stateDir(), 'state', 'svc.json'));

    const revoked = await keyrot(['revoke', '--key', leaked, '--yes', '--state', STATE, suite.ws.dir]);
    expect(revoked.code, text(revoked)).toBe(0);
    expect(await keysOf('svc')).toContainEqual({ id: leaked, status: 'Inactive' });
    // Each plan it could not ask is named once, with its file (not `could not ask (skipped, 2 plan(s) in all)` twice).
    expect(revoked.stderr.match(/broken warning: could not ask plan broken \(.*broken\.yaml\): /g)).toHaveLength(1);
    expect(revoked.stderr.match(/noprofile warning: could not ask plan noprofile \(.*noprofile\.yaml\): /g)).toHaveLength(1);
    expect(revoked.stderr).not.toMatch(/local warning/);
  });

  it('exits 4 naming the plans it could not ask when no plan that answered holds the key', async () => {
    suite.ws.plan('broken', { ...localPlan('broken'), source: { type: 'aws-iam', user: 'svc', region: 'us-east-1', endpoint: 'http://127.0.0.1:9' } });
    suite.ws.plan('local', localPlan('local'));
    const result = await keyrot(['revoke', '--key', 'AKIAIOSFODNN7EXAMPLE', '--yes', '--state', STATE, suite.ws.dir]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`no plan that answered holds key AKIAIOSFODNN7EXAMPLE, and the plan that could hold it could not be asked: ${path.join(suite.ws.dir, 'broken.yaml')}`);
    expect(result.stderr).toContain('broken.yaml');
  });
});

describe('revoke --from-report', () => {
  /** An IAM plan and a generated-key plan, each with a current key: what the scanner will find. */
  async function twoPlans() {
    await createUser('svc');
    iamPlan('svc', 'svc', { drain: '0s', lastUsed: undefined, soak: '7d' });
    suite.ws.plan('api', localPlan('api'));
    for (const plan of ['svc.yaml', 'api.yaml']) expect((await keyrot(['run', '--yes', '--state', STATE, path.join(suite.ws.dir, plan)])).code).toBe(0);
    const aws = readStore(path.join(suite.ws.dir, 'svc.json')).current!;
    const api = readStore(path.join(suite.ws.dir, 'api-keys.json')).current!;
    return { aws, api, secrets: [aws.secret, api.secret, 'sk_unrelated_0123456789abcdef'] };
  }

  /** Everything keyrot printed or wrote (the report itself aside), for the secret scan. */
  function keyrotOutput(runs: Run[]): string {
    const files = ['audit.jsonl', path.join('state', 'svc.json'), path.join('state', 'api.json'), path.join('generated', 'api.json')];
    return [...files.map((f) => (existsSync(path.join(stateDir(), f)) ? readFileSync(path.join(stateDir(), f), 'utf8') : '')), text(...runs)].join('\n');
  }

  const expectRevoked = async (aws: { keyId: string }, api: { keyId: string }) => {
    expect(await keysOf('svc')).toContainEqual({ id: aws.keyId, status: 'Inactive' });
    expect(published('svc')!.keyId).not.toBe(aws.keyId);
    expect(ledger('api')[api.keyId]).toBe('inactive');
    expect(readStore(path.join(suite.ws.dir, 'api-keys.json')).current!.keyId).not.toBe(api.keyId);
  };

  it('gitleaks: revokes the AWS key (by id) and the generated key (by fingerprint), lists what it could not attribute', async () => {
    const { aws, api, secrets } = await twoPlans();
    const report = [
      { RuleID: 'aws-access-token', Description: 'AWS', StartLine: 3, File: 'deploy/.env', Match: aws.keyId, Secret: aws.keyId, Fingerprint: 'deploy/.env:aws-access-token:3' },
      { RuleID: 'generic-api-key', Description: 'API key', StartLine: 7, File: 'app/config.js', Match: `apiKey: "${api.secret}"`, Secret: api.secret, Fingerprint: 'app/config.js:generic-api-key:7' },
      { RuleID: 'generic-api-key', Description: 'API key', StartLine: 9, File: 'app/other.js', Match: `token = ${secrets[2]}`, Secret: secrets[2], Fingerprint: 'app/other.js:generic-api-key:9' },
    ];
    suite.ws.write('gitleaks.json', JSON.stringify(report, null, 2));

    const revoked = await keyrot(['revoke', '--from-report', 'gitleaks.json', '--yes', '--state', STATE, suite.ws.dir]);
    expect(revoked.code, text(revoked)).toBe(0);
    expect(revoked.stdout).toContain(`found: ${aws.keyId} of plan svc, leaked at deploy/.env:3 (gitleaks aws-access-token)`);
    expect(revoked.stdout).toContain(`found: ${api.keyId} of plan api, leaked at app/config.js:7 (gitleaks generic-api-key)`);
    expect(revoked.stderr).toMatch(/not held by any plan that answered: a secret \(sha256:[0-9a-f]{12}\), seen at app\/other.js:9 \(gitleaks generic-api-key\)/);
    await expectRevoked(aws, api);
    secrets.push(...secretsIn(readStore(path.join(suite.ws.dir, 'svc.json'))), ...secretsIn(readStore(path.join(suite.ws.dir, 'api-keys.json'))));
    expect(leakedIndexes(keyrotOutput([revoked]), secrets)).toEqual([]);
  });

  it('trufflehog: the same from its --json lines, and no reported secret appears in any output or file', async () => {
    const { aws, api, secrets } = await twoPlans();
    const lines = [
      { SourceMetadata: { Data: { Filesystem: { file: 'ci/secrets.env', line: 2 } } }, SourceType: 15, DetectorName: 'AWS', Verified: true, Raw: aws.keyId, RawV2: `${aws.keyId}${aws.secret}`, Redacted: aws.keyId },
      { SourceMetadata: { Data: { Git: { file: 'src/client.ts', line: 40, commit: 'abc123' } } }, SourceType: 16, DetectorName: 'CustomRegex', Verified: false, Raw: api.secret, Redacted: '' },
    ];
    suite.ws.write('trufflehog.jsonl', lines.map((l) => JSON.stringify(l)).join('\n'));

    const revoked = await keyrot(['revoke', '--from-report', 'trufflehog.jsonl', '--yes', '--state', STATE, suite.ws.dir]);
    expect(revoked.code, text(revoked)).toBe(0);
    expect(revoked.stdout).toContain(`found: ${aws.keyId} of plan svc, leaked at ci/secrets.env:2 (trufflehog AWS)`);
    expect(revoked.stdout).toContain(`found: ${api.keyId} of plan api, leaked at src/client.ts:40 (trufflehog CustomRegex)`);
    await expectRevoked(aws, api);
    secrets.push(...secretsIn(readStore(path.join(suite.ws.dir, 'svc.json'))), ...secretsIn(readStore(path.join(suite.ws.dir, 'api-keys.json'))));
    expect(leakedIndexes(keyrotOutput([revoked]), secrets)).toEqual([]);
  });

  it('a report that is neither format is refused (exit 2) without repeating any of it', async () => {
    suite.ws.plan('api', localPlan('api'));
    suite.ws.write('bad.json', 'password=hunter2-but-longer-than-eight\n');
    const result = await keyrot(['revoke', '--from-report', 'bad.json', '--state', STATE, suite.ws.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 1 is not a trufflehog finding');
    expect(result.stderr).not.toContain('hunter2');
  });
});
