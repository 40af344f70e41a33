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
    expect(report.findings[0]).toEqual({ locations: ['.env:2 (gitleaks aws-access-token)'], keyIds: [AWS_ID], fingerprints: [] });
    expect(report.findings[1]!.locations).toEqual(['app.js:9 (gitleaks generic-api-key)']);
    expect(report.findings[1]!.fingerprints).toContain(fingerprint(GENERATED));
    expect(report.findings[1]!.keyIds).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(GENERATED.slice(5, 25));
  });

  it('trufflehog: one JSON object per line; RawV2 (id and secret together) yields the id, and the secret is masked from then on', () => {
    const line = { SourceMetadata: { Data: { Git: { file: 'ci.yml', line: 4 } } }, DetectorName: 'AWS', Raw: AWS_ID, RawV2: `${AWS_ID}${AWS_SECRET}` };
    const report = parseLeakReport(`${JSON.stringify(line)}\n\n`, 'th.jsonl');
    expect(report.format).toBe('trufflehog');
    expect(report.findings).toEqual([{ locations: ['ci.yml:4 (trufflehog AWS)'], keyIds: [AWS_ID], fingerprints: [fingerprint(`${AWS_ID}${AWS_SECRET}`)] }]);
    expect(redact(`x ${AWS_ID}${AWS_SECRET} y`)).not.toContain(AWS_SECRET);
  });

  it('refuses anything else with a usage error that names the line, never its content', () => {
    expect(() => parseLeakReport('token: s3cr3t-value-here\n', 'bad.txt')).toThrow(/line 1 is not a trufflehog finding/);
    expect(() => parseLeakReport('token: s3cr3t-value-here\n', 'bad.txt')).not.toThrow(/s3cr3t/);
    expect(() => parseLeakReport('[1, 2', 'bad.json')).toThrow(/not valid JSON at line 1, column 6/);
  });

  it('a report that is not valid JSON is reported by line and column, never with the text around the error', () => {
    // The parser's own message quotes the text: "Unexpected token 's', "[{"Secret": sk_live_…" is not valid JSON".
    const secret = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
    const broken = `[\n  {"RuleID": "stripe",\n   "Secret": ${secret}}\n]`;
    expect(() => parseLeakReport(broken, 'r.json')).toThrow(/not valid JSON at line 3, column 14$/);
    expect(() => parseLeakReport(broken, 'r.json')).not.toThrow(/sk_live|4eC39/);
    expect(() => parseLeakReport(`[{"Secret": "${secret}"} {"a": 1}]`, 'r.json')).toThrow(/line 1, column 49$/);
    expect(() => parseLeakReport('   ', 'r.json')).toThrow(/empty/);
  });

  it('one key seen in several places is one finding with every place; scanner text is made printable', () => {
    const report = parseLeakReport(JSON.stringify([
      { RuleID: 'generic-api-key', File: 'a.env', StartLine: 1, Match: `K=${GENERATED}`, Secret: GENERATED },
      { RuleID: 'generic-api-key', File: 'b\x1b]0;pwned\x07.env', StartLine: 7, Match: `key: ${GENERATED}`, Secret: GENERATED },
      { RuleID: 'aws-access-token', File: 'c.env', StartLine: 3, Match: AWS_ID, Secret: AWS_ID },
      { RuleID: 'aws-access-token\r\nforged line', File: 'd.env', StartLine: 4, Match: AWS_ID, Secret: AWS_ID },
    ]), 'r.json');
    expect(report.findings).toHaveLength(2);
    expect(report.findings[0]!.locations).toEqual(['a.env:1 (gitleaks generic-api-key)', 'b\\x1b]0;pwned\\x07.env:7 (gitleaks generic-api-key)']);
    expect(report.findings[1]!.locations).toEqual(['c.env:3 (gitleaks aws-access-token)', 'd.env:4 (gitleaks aws-access-token\\r\\nforged line)']);
  });

  it('a secret on stdin is one finding, matched by fingerprint; an empty stdin is refused', () => {
    expect(leakFromSecret(`${GENERATED}\n`).findings).toEqual([{ locations: ['the secret on stdin'], keyIds: [], fingerprints: [fingerprint(GENERATED)] }]);
    expect(() => leakFromSecret('\n')).toThrow(/nothing was read/);
  });
});
