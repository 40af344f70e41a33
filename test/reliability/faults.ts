// What each reliability suite did to keyrot, counted by kind (kills, stalled answers, hostile files,
// signals), for the report `npm run reliability` writes (scripts/reliability.mjs): a suite's runs say
// how often it tried, its faults what it threw at keyrot. Each call appends one small JSON file to the
// folder the script names (KEYROT_RELIABILITY_FAULTS); without it (npm test) nothing is written.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** `suite` is the suite's top-level describe title, as the report names it. */
export function recordFaults(suite: string, faults: Record<string, number>): void {
  const dir = process.env.KEYROT_RELIABILITY_FAULTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${randomUUID()}.json`), JSON.stringify({ suite, faults }));
}
