// keyrot history: the audit log of the state stores in scope, filtered by plan and age, oldest first.
import { existsSync } from 'node:fs';
import type { AuditRecord } from '../../audit/log.js';
import { KeyrotError } from '../../errors.js';
import { parseDuration } from '../../shared/duration.js';
import type { StateStore } from '../../state/store.js';
import type { OperationOptions } from '../options.js';

export interface HistoryRequest {
  /** A plan file (or folder), or a plan name; every plan of the state folders here when absent. */
  plan?: string;
  /** A duration back from now (7d, 12h) or a date (2026-01-31). */
  since?: string;
}

export interface History {
  records: AuditRecord[];
  /** The audit logs read; none when no state folder is here. */
  logs: string[];
  /** Logs with lines that are not records (cut short by a full disk or a crash), skipped. */
  skipped: Array<{ where: string; unreadable: number }>;
  /** The plan names asked for, if any. */
  names?: string[];
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
async function scope(arg: string | undefined, options: OperationOptions): Promise<{ names?: Set<string>; stores: StateStore[] }> {
  const { states } = options;
  if (arg === undefined) return { stores: await states.stores([]) };
  if (existsSync(arg) || /[\\/]|\.ya?ml$/i.test(arg)) {
    // Loaded only when named: zod and yaml stay out of a bare `keyrot history`.
    const plans = await (await import('../load-plans.js')).loadPlans([arg], states.spec);
    return { names: new Set(plans.map((p) => p.plan.name)), stores: await states.stores(plans) };
  }
  return { names: new Set([arg]), stores: await states.stores([]) };
}

export async function history(request: HistoryRequest, options: OperationOptions): Promise<History> {
  const from = sinceTime(request.since, options.clock.now());
  const { names, stores } = await scope(request.plan, options);
  const records: AuditRecord[] = [];
  const skipped: History['skipped'] = [];
  for (const store of stores) {
    const read = await store.audit.scan();
    if (read.unreadable) skipped.push({ where: read.where, unreadable: read.unreadable });
    records.push(...read.records);
  }
  return {
    records: records
      .filter((r) => (!names || names.has(r.plan)) && (!from || new Date(r.time) >= from))
      .sort((a, b) => a.time.localeCompare(b.time)), // stable: records of one log keep their order
    logs: stores.map((s) => s.location),
    skipped,
    ...(names ? { names: [...names] } : {}),
  };
}
