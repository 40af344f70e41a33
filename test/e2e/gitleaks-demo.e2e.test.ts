// The README's scanner example on the demo, end to end and without a cloud account: the demo's key
// looks like a real key, so stock gitleaks (v8.30, default rules) finds it in the demo's store, and
// `keyrot revoke --from-report` revokes and replaces it from that report. gitleaks is built from its
// Go module by scripts/test-peers/gitleaks.sh (once, into the peer cache); a report in gitleaks' exact
// format, recorded from that version (test/fixtures/), checks the same without the build.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyrot, requireBuild } from '../helpers/cli.js';
import { leakedIndexes, readLedger, readStore } from '../helpers/inspect.js';
import { workspace, type Workspace } from '../helpers/workspace.js';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NO_CLOUD = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', VAULT_ADDR: '', VAULT_TOKEN: '' };

let gitleaks: string;
let ws: Workspace;
beforeAll(() => {
  requireBuild();
  gitleaks = execFileSync('bash', [path.join(REPO, 'scripts', 'test-peers', 'gitleaks.sh'), 'install'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}, 900_000);
beforeEach(() => {
  ws = workspace();
  // A fresh clone's rotation-plans/: the demo and the example plans (which need clouds this test has not).
  cpSync(path.join(REPO, 'rotation-plans'), path.join(ws.dir, 'rotation-plans'), { recursive: true, filter: (src) => !/\.keyrot|\.demo/.test(src) });
});
afterEach(() => ws.cleanup());

const demoStore = () => path.join(ws.dir, 'rotation-plans', '.demo', 'demo-api-keys.json');
const ledger = () => Object.fromEntries(readLedger(path.join(ws.dir, 'rotation-plans', '.keyrot'), 'demo').map((k) => [k.id, k.status]));

async function demoWithKey() {
  const run = await keyrot(['run', '--yes', 'rotation-plans/demo.yaml'], { cwd: ws.dir, env: NO_CLOUD });
  expect(run.code, run.stderr).toBe(0);
  return readStore(demoStore()).current!;
}

async function revokeFrom(report: string, leaked: { keyId: string; secret: string }) {
  const revoked = await keyrot(['revoke', '--from-report', report, '--yes', 'rotation-plans/'], { cwd: ws.dir, env: NO_CLOUD });
  expect(revoked.code, revoked.stdout + revoked.stderr).toBe(0);
  expect(revoked.stdout).toContain(`found: ${leaked.keyId} of plan demo, leaked at rotation-plans/.demo/demo-api-keys.json:4 (gitleaks generic-api-key)`);
  expect(ledger()[leaked.keyId]).toBe('inactive');
  const now = readStore(demoStore()).current!;
  expect(now.keyId).not.toBe(leaked.keyId);
  expect(leakedIndexes(revoked.stdout + revoked.stderr, [leaked.secret, now.secret])).toEqual([]);
}

describe('gitleaks -> keyrot revoke --from-report on the demo', () => {
  it('stock gitleaks finds the demo key with its default rules, and keyrot revokes and replaces it', async () => {
    const leaked = await demoWithKey();
    // As the README shows it: gitleaks exits 1 when it finds a leak.
    const scan = spawnSync(gitleaks, ['dir', 'rotation-plans/.demo', '--report-format', 'json', '--report-path', 'gitleaks.json', '--no-banner'], { cwd: ws.dir, encoding: 'utf8' });
    expect(scan.status, scan.stderr).toBe(1);
    const findings = JSON.parse(readFileSync(path.join(ws.dir, 'gitleaks.json'), 'utf8')) as Array<{ RuleID: string; File: string; Secret: string }>;
    expect(findings.map((f) => [f.RuleID, f.File])).toEqual([['generic-api-key', 'rotation-plans/.demo/demo-api-keys.json']]);
    expect(findings[0]!.Secret === leaked.secret).toBe(true); // compared, never printed
    await revokeFrom('gitleaks.json', leaked);
  }, 120_000);

  it('a report in gitleaks 8.30\'s exact format (recorded) does the same', async () => {
    const leaked = await demoWithKey();
    const recorded = readFileSync(path.join(REPO, 'test', 'fixtures', 'gitleaks-8.30-dir-report.json'), 'utf8');
    writeFileSync(path.join(ws.dir, 'report.json'), recorded.replaceAll('{{secret}}', leaked.secret));
    await revokeFrom('report.json', leaked);
  });
});
