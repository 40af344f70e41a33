// `keyrot history`: the audit log, filtered by plan and age, as a table or as NDJSON.
import { existsSync } from 'node:fs';
import chalk, { type ChalkInstance } from 'chalk';
import type { AuditRecord } from '../../audit/log.js';
import { KeyrotError } from '../../errors.js';
import { EXIT } from '../../messages.js';
import { parseDuration } from '../../shared/duration.js';
import { outputOf, type OutputFlags } from '../output.js';
import { openState } from '../../state/open.js';
import type { StateStore } from '../../state/store.js';

export interface HistoryOptions extends OutputFlags {
  since?: string;
  state?: string;
}

/** `--since 7d` (a duration back from now) or `--since 2026-01-31` (a date or ISO time). */
function sinceTime(since: string | undefined, now: Date): Date | undefined {
  if (since === undefined) return undefined;
  const ms = parseDuration(since);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const at = Date.parse(since);
  if (/^\d{4}-\d\d-\d\d/.test(since) && !Number.isNaN(at)) return new Date(at);
  throw new KeyrotError('usage', { problem: `--since ${since} is neither a duration (7d, 12h) nor a date (2026-01-31)` });
}

/** Which plans and which state stores: a plan file (or folder) is loaded; anything else is a plan name. */
async function scope(arg: string | undefined, state?: string): Promise<{ names?: Set<string>; stores: StateStore[] }> {
  const backend = openState(state);
  if (arg === undefined) return { stores: await backend.stores([]) };
  if (existsSync(arg) || /[\\/]|\.ya?ml$/i.test(arg)) {
    // Loaded only when named: zod and yaml stay out of a bare `keyrot history`.
    const plans = await (await import('../load-plans.js')).loadPlans([arg], state);
    return { names: new Set(plans.map((p) => p.plan.name)), stores: await backend.stores(plans) };
  }
  return { names: new Set([arg]), stores: await backend.stores([]) };
}

function printTable(records: AuditRecord[], paint: ChalkInstance): void {
  const outcomeColour: Record<string, ChalkInstance> = { ok: paint.green, failed: paint.red, held: paint.yellow, skipped: paint.dim };
  const keys = (r: AuditRecord) => (r.oldKeyId || r.newKeyId ? `${r.oldKeyId ?? '-'} -> ${r.newKeyId ?? '-'}` : '');
  const header = ['TIME', 'PLAN', 'PHASE', 'ACTION', 'OUTCOME', 'OLD -> NEW KEY'];
  const rows = records.map((r) => [r.time.replace(/\.\d+Z$/, 'Z'), r.plan, r.phase, r.action, r.outcome, keys(r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const cells = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!));

  process.stdout.write(`${paint.bold([...cells(header), 'DETAIL'].join('  '))}\n`);
  for (const [n, row] of rows.entries()) {
    const [time, plan, phase, action, outcome, keyIds] = cells(row);
    const colour = outcomeColour[records[n]!.outcome] ?? paint.reset;
    const line = [paint.dim(time!), paint.bold(plan!), phase, action, colour(outcome!), keyIds, records[n]!.detail ?? ''];
    process.stdout.write(`${line.join('  ').trimEnd()}\n`);
  }
}

export async function historyCommand(plan: string | undefined, opts: HistoryOptions): Promise<number> {
  const from = sinceTime(opts.since, new Date());
  const { names, stores } = await scope(plan, opts.state);

  const records: AuditRecord[] = [];
  for (const store of stores) {
    const read = await store.audit.scan();
    if (read.unreadable) process.stderr.write(`skipped ${read.unreadable} unreadable line(s) in ${read.where}\n`);
    records.push(...read.records);
  }
  const shown = records
    .filter((r) => (!names || names.has(r.plan)) && (!from || new Date(r.time) >= from))
    .sort((a, b) => a.time.localeCompare(b.time)); // stable: records of one log keep their order

  if (outputOf(opts) === 'json') {
    for (const r of shown) process.stdout.write(`${JSON.stringify(r)}\n`);
    return EXIT.ok;
  }
  if (stores.length === 0) {
    process.stdout.write('no audit log here: no .keyrot/ or rotation-plans/.keyrot/ folder; pass a plan file or --state DIR\n');
    return EXIT.ok;
  }
  if (shown.length === 0) {
    const which = `${names ? ` for ${[...names].join(', ')}` : ''}${opts.since ? ` since ${opts.since}` : ''}`;
    process.stdout.write(`no audit records${which} in ${stores.map((s) => s.location).join(', ')}\n`);
    return EXIT.ok;
  }
  printTable(shown, chalk); // colour as main chose it (terminal, NO_COLOR, --no-color)
  return EXIT.ok;
}
