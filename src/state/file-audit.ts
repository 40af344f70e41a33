// The audit log of the file store: `<state>/audit.jsonl`, append-only, one JSON line per record.
import { appendFile, open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { actor, parseAuditLine, summarize, type AuditRecord, type AuditSummary } from '../audit/log.js';
import { ensureDir, stateIoError } from './io.js';
import type { AuditTrail } from './store.js';

export class AuditLog implements AuditTrail {
  private dirReady = false;
  /** While plans hold the log (hold()): how many, and the file opened once for all their appends. */
  private held = 0;
  private handle: Promise<FileHandle> | undefined;
  /** Lines appended while a write is under way: the next write takes them all (writeWaiting). */
  private waiting: Array<{ line: string; written: (failure?: unknown) => void }> = [];
  private writing = false;

  constructor(readonly file: string) {}

  private async ensureDir(): Promise<void> {
    if (!this.dirReady) await ensureDir(path.dirname(this.file));
    this.dirReady = true;
  }

  /**
   * Keep the log open until the answered release is called: a rotation appends about ten records,
   * and each would otherwise open and close the file (three system calls instead of one). Opened on
   * the first append only (a plan with nothing to do creates no log), closed by the last release.
   */
  hold(): () => Promise<void> {
    this.held += 1;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (--this.held === 0) await this.close();
    };
  }

  private async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close().catch(() => undefined);
  }

  async append(record: Omit<AuditRecord, 'actor'>): Promise<void> {
    await this.ensureDir();
    // One write per line with O_APPEND: lines from concurrent processes never interleave, and a line
    // outlives a crash of this process. Not fsync'd: that would cost one more fsync per side effect
    // for the one failure (a power cut) where only the log's newest lines are at stake; the state that
    // resume reads is fsync'd before each side effect.
    // (The record of a step is appended before the state save that covers it: session.ts, record.)
    const line = `${JSON.stringify({ ...record, actor: actor() })}\n`;
    try {
      if (this.held === 0) await appendFile(this.file, line, { mode: 0o600, flag: 'a' });
      else await this.write(line);
    } catch (e) {
      throw await stateIoError(e, this.file, { plan: record.plan });
    }
  }

  /**
   * Append `line` to the held log: resolves once it is written. The lines other plans append while a
   * write is under way wait for it and then go out together in one write (a fleet run appends about
   * ten per rotation, sixteen rotations at a time: each write alone was a thread-pool round trip, all
   * of them queued on the one file). One O_APPEND write of whole lines, as appendFile makes: lines of
   * concurrent processes never interleave, and each line is written before its append resolves.
   */
  private write(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ line, written: (failure) => (failure === undefined ? resolve() : reject(failure)) });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const lines = this.waiting.splice(0);
      let failure: unknown;
      try {
        this.handle ??= open(this.file, 'a', 0o600);
        const handle = await this.handle;
        const bytes = Buffer.from(lines.map((l) => l.line).join(''), 'utf8');
        for (let at = 0; at < bytes.length; ) at += (await handle.write(bytes, at)).bytesWritten;
      } catch (e) {
        failure = e ?? new Error('audit write failed');
        await this.close(); // opened again by the next write, as appendFile would
      }
      for (const l of lines) l.written(failure);
    }
    this.writing = false;
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

  /** Line by line: a log of a million records is never held in memory (keyrot status over 10,000 plans). */
  async summaries(plans: readonly string[]): Promise<Map<string, AuditSummary>> {
    const wanted = new Set(plans);
    const found = new Map<string, AuditSummary>();
    const handle = await open(this.file, 'r').catch(async (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw await stateIoError(e, this.file, { verb: 'read' });
    });
    if (!handle) return found;
    try {
      for await (const line of handle.readLines({ encoding: 'utf8' })) {
        const record = parseAuditLine(line);
        if (record) summarize(found, wanted, [record]);
      }
    } finally {
      await handle.close().catch(() => undefined); // closed already when the lines ran out
    }
    return found;
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
