// The audit log in Vault: `audit/<plan>` holds {records: JSON} the plan's newest AUDIT_KEEP records,
// appended with cas (read again when another process appended in between).
import { type AuditRecord, type AuditSummary, actor, auditRecordOf, summarize } from '../audit/log.js';
import { KeyrotError } from '../errors.js';
import type { AuditTrail } from './store.js';
import { peekViews, type PeekWay } from './vault-mirror.js';
import type { VaultSpace } from './vault-space.js';

/** Audit records kept per plan: the history a rotation needs, bounded so the secret stays small. */
export const AUDIT_KEEP = 500;
/** Appends that met another writer are retried this often before giving up. */
const APPEND_TRIES = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The records in a stored list; an entry that is not one is counted, not kept. */
function recordsIn(text: unknown): { records: AuditRecord[]; unreadable: number } {
  if (typeof text !== 'string' || text === '') return { records: [], unreadable: 0 };
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return { records: [], unreadable: 1 };
  }
  if (!Array.isArray(list)) return { records: [], unreadable: 1 };
  const records = list.flatMap((r) => auditRecordOf(r) ?? []);
  return { records, unreadable: list.length - records.length };
}

/** A history's summary as its mirror holds it (JSON), or undefined for an empty history. */
function summaryView(records: AuditRecord[]): string | undefined {
  const found = new Map<string, AuditSummary>();
  summarize(found, new Set(records.map((r) => r.plan)), records);
  const [summary] = found.values();
  return summary ? JSON.stringify(summary) : undefined;
}

/** The summary a mirror's view holds, checked; undefined if it is not one. */
export function summaryIn(view: string): AuditSummary | undefined {
  try {
    const summary = JSON.parse(view) as AuditSummary;
    return auditRecordOf(summary.last) && (summary.lastFailureAt === null || typeof summary.lastFailureAt === 'string') ? summary : undefined;
  } catch {
    return undefined;
  }
}

export class VaultAudit implements AuditTrail {
  /** Per plan, the audit history this process last wrote and its KV version: the next append's starting point (cas again). */
  private readonly seen = new Map<string, { records: AuditRecord[]; kvVersion: number }>();

  constructor(
    private readonly space: VaultSpace,
    private readonly locked: ReadonlySet<string>,
  ) {}

  /** Plans this process appended to under their lock. */
  private readonly wrote = new Set<string>();

  forget(plan: string): void {
    this.seen.delete(plan);
    this.wrote.delete(plan);
  }

  append(record: Omit<AuditRecord, 'actor'>): Promise<void> {
    return this.appendTo(record.plan, [{ ...record, actor: actor() }]);
  }

  async copyIn(records: AuditRecord[]): Promise<void> {
    const plans = [...new Set(records.map((r) => r.plan))];
    for (const plan of plans) await this.appendTo(plan, records.filter((r) => r.plan === plan));
  }

  async read(): Promise<AuditRecord[]> {
    return (await this.scan()).records;
  }

  /** Many plans' summaries at once: from their mirrors in OpenBao's detailed listing, else each history read. */
  async summaries(plans: readonly string[], way?: PeekWay): Promise<Map<string, AuditSummary>> {
    const found = new Map<string, AuditSummary>();
    const summaryOf = (data: Record<string, unknown> | undefined) => summaryView(recordsIn(data?.records).records);
    for await (const page of peekViews(this.space, 'audit', plans, summaryOf, way)) {
      for (const { name, view } of page) {
        if (view === undefined) continue;
        const summary = summaryIn(view);
        if (summary) found.set(name, summary); // else a garbled mirror: that plan shows no outcome
      }
    }
    return found;
  }

  /** The summary of the history this process wrote under the plan's lock, and its KV version: the mirror to write. */
  written(plan: string): { view: string; version: number } | undefined {
    const seen = this.wrote.has(plan) ? this.seen.get(plan) : undefined;
    const view = seen && summaryView(seen.records);
    return seen && view ? { view, version: seen.kvVersion } : undefined;
  }

  async scan(): Promise<{ records: AuditRecord[]; unreadable: number; where: string }> {
    let unreadable = 0;
    const all: AuditRecord[] = [];
    for (const plan of await this.space.names('audit')) {
      const found = await (await this.space.kv('audit', plan)).read();
      const read = recordsIn(found?.data?.records);
      unreadable += read.unreadable;
      all.push(...read.records);
    }
    return { records: all.sort((a, b) => a.time.localeCompare(b.time)), unreadable, where: `${this.space.location}/audit/` };
  }

  /** Append to a plan's bounded history with cas, reading again when another process appended in between. */
  private async appendTo(plan: string, lines: AuditRecord[]): Promise<void> {
    const kv = await this.space.kv('audit', plan);
    for (let i = 0; i < APPEND_TRIES; i++) {
      // Start from the history this process last wrote, if any (cas refuses it if another appended since).
      let seen = this.seen.get(plan);
      if (!seen) {
        const found = await kv.read();
        const { records, unreadable } = recordsIn(found?.data?.records);
        if (unreadable > 0 && records.length === 0) {
          throw new KeyrotError('state-corrupt', { path: this.space.where('audit', plan), plan, reason: 'the audit history is not a list of records' });
        }
        seen = { records, kvVersion: found?.version ?? 0 };
      }
      const next = [...seen.records, ...lines].slice(-AUDIT_KEEP);
      const written = await kv.write({ records: JSON.stringify(next) }, seen.kvVersion, []);
      if (written !== 'cas-mismatch') {
        // Kept only while this process holds the plan's lock (the appends of one rotation).
        if (this.locked.has(plan)) {
          this.seen.set(plan, { records: next, kvVersion: written });
          this.wrote.add(plan);
        }
        return;
      }
      if (this.seen.delete(plan)) continue; // what we remembered was stale: read it now
      await sleep(20 + Math.random() * 80);
    }
    throw new KeyrotError('state-conflict', { plan, expected: 'to append an audit record', found: `${APPEND_TRIES} concurrent writers` });
  }
}
