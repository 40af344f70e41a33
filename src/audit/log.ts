// The append-only audit log: one JSON line per side effect, never a secret.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

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

export const actor = (): string => `${os.userInfo().username}@${os.hostname()}`;

export class AuditLog {
  constructor(readonly file: string) {}

  async append(record: Omit<AuditRecord, 'actor'>): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // One write per line with O_APPEND: lines from concurrent processes never interleave.
    await appendFile(this.file, `${JSON.stringify({ ...record, actor: actor() })}\n`, { mode: 0o600, flag: 'a' });
  }

  async read(): Promise<AuditRecord[]> {
    const text = await readFile(this.file, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditRecord);
  }
}
