// The section of docs/RELIABILITY.md that says which test covers which provider's stalled answers
// (issue 25, defect 4), read from the titles of the tests that ran: the stalled-answer kit's cases
// (test/reliability/stall-cases.ts, stall-cases-http.ts) in stalled-answers.test.ts and signals.test.ts.
const STALLS = 'test/reliability/stalled-answers.test.ts';
const SIGNALS = 'test/reliability/signals.test.ts';
const COLUMNS = ['stall', 'stall-body', 'drip-body', 'reset', 'refused', 'signal (run)', 'signal (status)'];

/** The column a test fills, and its provider, from its file and title; undefined for any other test. */
function cellOf(file, title) {
  if (file === STALLS) {
    const m = /^(.+), (stall|stall-body|drip-body|reset|refused): /.exec(title);
    return m && { provider: m[1], column: m[2] };
  }
  if (file === SIGNALS) {
    const m = /^(.+): a call whose answer never ends \((run|status)\), SIG[A-Z]+: /.exec(title);
    return m && { provider: m[1], column: `signal (${m[2]})` };
  }
  return undefined;
}

/** "passed", or each outcome with its count ("1 passed, 1 timed out"); "-" where no test ran. */
function cellText(outcomes) {
  if (!outcomes?.length) return '-';
  const counts = new Map();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return counts.size === 1 && counts.has('passed') ? `passed (${outcomes.length})` : [...counts].map(([o, n]) => `${n} ${o}`).join(', ');
}

/** The section's lines, from the runs' vitest reports; `repoPath` names a test file as the repository
 *  does, `outcomeOf` reads one test's outcome. */
export function stallCoverage(runs, repoPath, outcomeOf) {
  const providers = new Map();
  for (const r of runs) {
    for (const file of r.report.testResults) {
      const rel = repoPath(file.name);
      for (const t of file.assertionResults) {
        const cell = cellOf(rel, t.title);
        if (!cell) continue;
        if (!providers.has(cell.provider)) providers.set(cell.provider, new Map());
        const row = providers.get(cell.provider);
        row.set(cell.column, [...(row.get(cell.column) ?? []), outcomeOf(t)]);
      }
    }
  }
  if (providers.size === 0) return [];
  return [
    '## Stalled answers, provider by provider',
    '',
    `Every provider that makes network calls, reached through a proxy in front of its real peer (moto, OpenBao, Prometheus, PostgreSQL, MariaDB, Redis) or its test server (Azure Key Vault, Keyhub, the vendors of the http presets, GitHub, GitLab, an http usage endpoint). Cases: test/reliability/stall-cases.ts and stall-cases-http.ts. In ${STALLS}, *stall* answers nothing once connected (a database: not one byte); *stall-body* and *drip-body* pass the real status and headers and then stall or drip the body (a database gets its server's first bytes, then nothing); each must end on its own within attempts x the plan's 1s timeout, with the provider's exit code (4; 3 for a usage gate) and a message naming the timeout, no stack trace, and what the provider held (its keys, the value) as it was before. *reset* and *refused* must say so and never "no answer within". In ${SIGNALS}, SIGINT or SIGTERM while the call hangs ends keyrot at once (130, 143). A preset's reset, refused and signal runs are the http issuer's (Keyhub): the same client. Each cell: the outcomes of the tests that ran, over the seeds.`,
    '',
    `| provider | ${COLUMNS.join(' | ')} |`,
    `| --- | ${COLUMNS.map(() => '---').join(' | ')} |`,
    ...[...providers].map(([name, row]) => `| ${name} | ${COLUMNS.map((c) => cellText(row.get(c))).join(' | ')} |`),
    '',
  ];
}
