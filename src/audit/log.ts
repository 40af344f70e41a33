// The append-only audit log: one JSON line per side effect, never a secret.
import { appendFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureDir, stateIoError } from '../state/io.js';

export interface AuditRecord {
  time: string;
  plan: string;
  rotationId: string;
  phase: string;
  action: string;
  oldKeyId?: string | null;
  newKeyId?: string | null;
  outcome: 'ok' | 'failed' | 'held' | 'skipped';
  detail?: string;
  actor: string;
}

const OUTCOMES: ReadonlySet<string> = new Set(['ok', 'failed', 'held', 'skipped']);
const isText = (v: unknown): v is string => typeof v === 'string';
const isKeyId = (v: unknown) => v === undefined || v === null || isText(v);

/** One line of the log as a record, or undefined when it is not one (cut short, or JSON of another shape). */
export function parseAuditLine(line: string): AuditRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    isText(r.time) && !Number.isNaN(Date.parse(r.time)) &&
    isText(r.plan) && isText(r.rotationId) && isText(r.phase) && isText(r.action) && isText(r.actor) &&
    isText(r.outcome) && OUTCOMES.has(r.outcome) &&
    isKeyId(r.oldKeyId) && isKeyId(r.newKeyId) && (r.detail === undefined || isText(r.detail));
  return ok ? (value as AuditRecord) : undefined;
}

export const actor = (): string => `${os.userInfo().username}@${os.hostname()}`;

export class AuditLog {
  private dirReady = false;

  constructor(readonly file: string) {}

  private async ensureDir(): Promise<void> {
    if (!this.dirReady) await ensureDir(path.dirname(this.file));
    this.dirReady = true;
  }

  async append(record: Omit<AuditRecord, 'actor'>): Promise<void> {
    await this.ensureDir();
    // One write per line with O_APPEND: lines from concurrent processes never interleave, and a line
    // outlives a crash of this process. Not fsync'd: that would cost one more fsync per side effect
    // for the one failure (a power cut) where only the log's newest lines are at stake; the state that
    // resume reads is fsync'd before each side effect.
    // (The record of a step is appended before the state save that covers it: session.ts, record.)
    await appendFile(this.file, `${JSON.stringify({ ...record, actor: actor() })}\n`, { mode: 0o600, flag: 'a' }).catch(async (e: unknown) => {
      throw await stateIoError(e, this.file, { plan: record.plan });
    });
  }

  async copyIn(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureDir();
    await appendFile(this.file, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600, flag: 'a' }).catch(async (e: unknown) => {
      throw await stateIoError(e, this.file, {});
    });
  }

  async read(): Promise<AuditRecord[]> {
    return (await this.scan()).records;
  }

  /** Every record; a line that is not one (cut short by a full disk or a crash) is skipped and counted. */
  async scan(): Promise<{ records: AuditRecord[]; unreadable: number; where: string }> {
    const text = await readFile(this.file, 'utf8').catch(async (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw await stateIoError(e, this.file, { verb: 'read' });
    });
    const records: AuditRecord[] = [];
    let unreadable = 0;
    for (const line of text.split('\n').filter(Boolean)) {
      const record = parseAuditLine(line);
      if (record) records.push(record);
      else unreadable++;
    }
    return { records, unreadable, where: this.file };
  }
}
