// Scanner reports as revoke reads them: ids kept, every other value only as a fingerprint.
import { describe, expect, it } from 'vitest';
import { leakFromSecret, parseLeakReport } from '../../src/engine/leak-report.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import { redact } from '../../src/secrets/redact.js';

const GENERATED = 'demo_Zk3JYcLrN0uVqfX2sH8tWb5eA7mD1oPiQ4gR6yTnUvE';
const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('leak reports', () => {
  it('gitleaks: an AWS id stays an id; a generated key becomes its fingerprint; places come from File and StartLine', () => {
    const report = parseLeakReport(JSON.stringify([
      { RuleID: 'aws-access-token', File: '.env', StartLine: 2, Match: AWS_ID, Secret: AWS_ID },
      { RuleID: 'generic-api-key', File: 'app.js', StartLine: 9, Match: `key = "${GENERATED}"`, Secret: GENERATED },
    ]), 'r.json');
    expect(report.format).toBe('gitleaks');
    expect(report.findings[0]).toEqual({ where: '.env:2 (gitleaks aws-access-token)', keyIds: [AWS_ID], fingerprints: [] });
    expect(report.findings[1]!.where).toBe('app.js:9 (gitleaks generic-api-key)');
    expect(report.findings[1]!.fingerprints).toContain(fingerprint(GENERATED));
    expect(report.findings[1]!.keyIds).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(GENERATED.slice(5, 25));
  });

  it('trufflehog: one JSON object per line; RawV2 (id and secret together) yields the id, and the secret is masked from then on', () => {
    const line = { SourceMetadata: { Data: { Git: { file: 'ci.yml', line: 4 } } }, DetectorName: 'AWS', Raw: AWS_ID, RawV2: `${AWS_ID}${AWS_SECRET}` };
    const report = parseLeakReport(`${JSON.stringify(line)}\n\n`, 'th.jsonl');
    expect(report.format).toBe('trufflehog');
    expect(report.findings).toEqual([{ where: 'ci.yml:4 (trufflehog AWS)', keyIds: [AWS_ID], fingerprints: [fingerprint(`${AWS_ID}${AWS_SECRET}`)] }]);
    expect(redact(`x ${AWS_ID}${AWS_SECRET} y`)).not.toContain(AWS_SECRET);
  });

  it('refuses anything else with a usage error that names the line, never its content', () => {
    expect(() => parseLeakReport('token: s3cr3t-value-here\n', 'bad.txt')).toThrow(/line 1 is not a trufflehog finding/);
    expect(() => parseLeakReport('token: s3cr3t-value-here\n', 'bad.txt')).not.toThrow(/s3cr3t/);
    expect(() => parseLeakReport('[1, 2', 'bad.json')).toThrow(/not JSON/);
  });

  it('a secret on stdin is one finding, matched by fingerprint; an empty stdin is refused', () => {
    expect(leakFromSecret(`${GENERATED}\n`).findings).toEqual([{ where: 'the secret on stdin', keyIds: [], fingerprints: [fingerprint(GENERATED)] }]);
    expect(() => leakFromSecret('\n')).toThrow(/nothing was read/);
  });
});
