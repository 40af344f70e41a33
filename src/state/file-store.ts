// The embedded default state store: one JSON file per plan under .keyrot/, written atomically
// (temp file, fsync, rename) with mode 0600.
import { readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { readBounded } from '../bounded-read.js';
import { KeyrotError } from '../errors.js';
import type { RotationState } from './rotation-state.js';
import { AuditLog } from '../audit/log.js';
import { fileLedger, fileLedgerPlans } from './file-ledger.js';
import { lockPlan } from './file-lock.js';
import { ensureDir, stateIoError } from './io.js';
import { stateProblem } from './schema.js';
import type { LockHolder, PlanLedger, PlanLock, StateStore } from './store.js';

/** A record is a few kB; anything this size is not one (and is not read further). */
const MAX_STATE_BYTES = 4 * 1024 * 1024;

// Fault injection for the crash tests: KEYROT_FAULT_KILL_AT=phase:stage (e.g. publish:acting) makes
// this process SIGKILL itself right after it saves that state, i.e. at an exact step boundary.
// phase:stage#n waits for the n-th save in that state: inside a phase, between two of its side
// effects (publish:acting#2 is right after the first target got the new key and that was recorded).
const [killAt, killNth] = (process.env.KEYROT_FAULT_KILL_AT ?? '').split('#');
let killSeen = 0;

export class FileStateStore implements StateStore {
  /** `<state>/audit.jsonl`, one JSON line per record, appended with O_APPEND. */
  readonly audit: AuditLog;

  constructor(readonly location: string) {
    this.audit = new AuditLog(path.join(location, 'audit.jsonl'));
  }

  /** `<state>/generated/<plan>.json`. */
  ledger(plan: string): PlanLedger {
    return fileLedger(path.join(this.location, 'generated'), plan);
  }

  ledgerPlans(): Promise<string[]> {
    return fileLedgerPlans(path.join(this.location, 'generated'));
  }

  private get stateDir() {
    return path.join(this.location, 'state');
  }

  private fileOf(plan: string) {
    return path.join(this.stateDir, `${plan}.json`);
  }

  /** The record in `file`, checked field by field against the state schema; undefined if there is none. */
  private async read(file: string, plan: string): Promise<RotationState | undefined> {
    let text: string;
    try {
      const read = await readBounded(file, MAX_STATE_BYTES);
      if (read === 'not-a-file') throw new KeyrotError('state-corrupt', { path: file, plan, reason: 'it is not a regular file (a folder, a device or a pipe?)' });
      if (read === 'too-large') throw new KeyrotError('state-corrupt', { path: file, plan, reason: `it is larger than ${MAX_STATE_BYTES / 1024 / 1024} MB; a record is a few kB` });
      text = read;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw await stateIoError(e, file, { plan, verb: 'read' });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const reason = text.trim() === '' ? 'it is empty' : `it is not JSON, or was cut short (${(e as Error).message})`;
      throw new KeyrotError('state-corrupt', { path: file, plan, reason });
    }
    const problem = stateProblem(value, plan);
    if (problem) throw new KeyrotError('state-corrupt', { path: file, plan, ...problem });
    return value as RotationState;
  }

  load(plan: string): Promise<RotationState | undefined> {
    return this.read(this.fileOf(plan), plan);
  }

  /** Move an unusable record aside (keyrot abandon on a corrupt state): returns where it went. */
  async setAside(plan: string): Promise<string> {
    const file = this.fileOf(plan);
    const aside = `${file}.unusable-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    await rename(file, aside).catch(async (e: unknown) => {
      throw await stateIoError(e, file, { plan });
    });
    return aside;
  }

  async save(state: RotationState): Promise<RotationState> {
    const file = this.fileOf(state.plan);
    const stored = await this.read(file, state.plan);
    const storedVersion = stored?.version ?? 0;
    if (storedVersion !== state.version) {
      throw new KeyrotError('state-conflict', { plan: state.plan, expected: state.version, found: storedVersion });
    }
    const next = { ...state, version: state.version + 1 };
    await ensureDir(this.stateDir);
    try {
      // A failed write (disk full) leaves the previous record in place: write-file-atomic renames only a complete file.
      await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, fsync: true });
    } catch (e) {
      throw await stateIoError(e, file, { plan: state.plan });
    }
    if (killAt && killAt === `${next.phase}:${next.stage}` && ++killSeen >= Number(killNth ?? 1)) process.kill(process.pid, 'SIGKILL');
    return next;
  }

  async list(): Promise<RotationState[]> {
    const names = await readdir(this.stateDir).catch(() => [] as string[]);
    const states = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.read(path.join(this.stateDir, n), n.slice(0, -'.json'.length))));
    return states.filter((s): s is RotationState => s !== undefined);
  }

  lock(plan: string, holder: LockHolder, waitMs: number): Promise<PlanLock> {
    return lockPlan(path.join(this.location, 'locks'), plan, holder, waitMs);
  }
}
