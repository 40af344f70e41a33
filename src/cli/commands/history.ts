// `keyrot history`: the audit log, filtered by plan and age, as a table or as NDJSON.
import chalk, { type ChalkInstance } from 'chalk';
import { history, type History } from '../../engine/operations/history.js';
import { EXIT } from '../../messages.js';
import { printableDeep, printableJson } from '../../shared/printable.js';
import { count } from '../../shared/plural.js';
import { outputOf, type OutputFlags } from '../output.js';
import { operationOptions, stateToRead, type Wiring } from '../session-options.js';

export interface HistoryOptions extends OutputFlags {
  since?: string;
  state?: string;
}

function printTable(records: History['records'], paint: ChalkInstance): void {
  const outcomeColour: Record<string, ChalkInstance> = { ok: paint.green, failed: paint.red, held: paint.yellow, skipped: paint.dim };
  const keys = (r: History['records'][number]) => (r.oldKeyId || r.newKeyId ? `${r.oldKeyId ?? '-'} -> ${r.newKeyId ?? '-'}` : '');
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

export async function historyCommand(plan: string | undefined, opts: HistoryOptions, wiring: Wiring): Promise<number> {
  stateToRead(opts, 'history');
  const { records, logs, skipped, names } = await history({ plan, since: opts.since }, operationOptions(opts, wiring));
  for (const s of skipped) process.stderr.write(`skipped ${count(s.unreadable, 'unreadable line')} in ${printableDeep(s.where)}\n`);

  if (outputOf(opts) === 'json') {
    for (const r of records) process.stdout.write(`${printableJson(r)}\n`);
    return EXIT.ok;
  }
  if (logs.length === 0) {
    process.stdout.write('no audit log here: no .keyrot/ or rotation-plans/.keyrot/ folder; pass a plan file or --state DIR\n');
    return EXIT.ok;
  }
  if (records.length === 0) {
    const which = `${names ? ` for ${names.join(', ')}` : ''}${opts.since ? ` since ${opts.since}` : ''}`;
    process.stdout.write(`no audit records${which} in ${logs.join(', ')}\n`);
    return EXIT.ok;
  }
  printTable(printableDeep(records), chalk); // colour as main chose it (terminal, NO_COLOR, --no-color)
  return EXIT.ok;
}
