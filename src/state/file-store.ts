// The embedded default state store: one JSON file per plan under .keyrot/, written atomically
// (temp file, fsync, rename) with mode 0600.
//
// The process holding a plan's lock owns its file: nobody else writes it. So the record is read once,
// when the engine loads it after taking the lock, and remembered with what was last written; a save
// is checked against that (no re-read, no re-parse), and a save that changes nothing but `updatedAt`
// writes nothing: the file on disk already says all there is to say. One stat per save still makes
// sure the file is the one this process last saw (a holder that stalled past its lease and lost the
// lock must not overwrite its successor's record): if it is not, the file is read again as before.
import type { Stats } from 'node:fs';
import { readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { readBounded } from '../bounded-read.js';
import { KeyrotError } from '../errors.js';
import type { RotationState } from './rotation-state.js';
import { AuditLog } from './file-audit.js';
import { fileSignature, lookAt, lookThrough, writeAtomic, type FileSignature } from '../shared/atomic-file.js';
import { fileLedger, fileLedgerPlans } from './file-ledger.js';
import { lockPlan } from './file-lock.js';
import { ensureDir, stateIoError } from './io.js';
import { peekPages } from './peek.js';
import { peekSeparately } from './peek-plans.js';
import { contentOf, nextRecord, parseRecord, type Stored } from './record.js';
import type { LockHolder, Peeked, PeekedLedger, PeekedPlan, PlanLedger, PlanLock, StateStore } from './store.js';

/** A record is a few kB; anything this size is not one (and is not read further). */
const MAX_STATE_BYTES = 4 * 1024 * 1024;

/** What this process last read or wrote for a plan (its version and content), and which file that was. */
interface Known extends Stored {
  file: FileSignature;
}

export class FileStateStore implements StateStore {
  /** `<state>/audit.jsonl`, one JSON line per record, appended with O_APPEND. */
  readonly audit: AuditLog;
  private readonly known = new Map<string, Known>();
  private stateDirReady = false;

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
      const read = readBounded(file, MAX_STATE_BYTES);
      if (read === 'not-a-file') throw new KeyrotError('state-corrupt', { path: file, plan, reason: 'it is not a regular file (a folder, a device or a pipe?)' });
      if (read === 'too-large') throw new KeyrotError('state-corrupt', { path: file, plan, reason: `it is larger than ${MAX_STATE_BYTES / 1024 / 1024} MB; a record is a few kB` });
      text = read;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw await stateIoError(e, file, { plan, verb: 'read' });
    }
    return parseRecord(text, file, plan);
  }

  /** Read the record (and remember it: the lock holder's saves are checked against it). */
  async load(plan: string): Promise<RotationState | undefined> {
    const file = this.fileOf(plan);
    // The stat comes first: if the file changes in between, the next save sees a new file and reads it again.
    // A file that cannot be looked at reads as none here: the read below says what is wrong.
    const before = lookThrough(file);
    const state = await this.read(file, plan);
    if (state && before) this.known.set(plan, { version: state.version, content: contentOf(state), file: fileSignature(before) });
    else this.known.delete(plan);
    return state;
  }

  /** The stored version and content, from memory while the file (`now`, as lstat found it) is still the one this process last saw. */
  private async stored(file: string, plan: string, now: Stats | undefined): Promise<Stored> {
    const known = this.known.get(plan);
    if (known) {
      if (now && fileSignature(now) === known.file) return known;
      this.known.delete(plan);
    }
    const stored = await this.read(file, plan);
    return stored ? { version: stored.version, content: contentOf(stored) } : { version: 0 };
  }

  /** Move an unusable record aside (keyrot abandon on a corrupt state): returns where it went. */
  async setAside(plan: string): Promise<string> {
    const file = this.fileOf(plan);
    const aside = `${file}.unusable-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    this.known.delete(plan);
    await rename(file, aside).catch(async (e: unknown) => {
      throw await stateIoError(e, file, { plan });
    });
    return aside;
  }

  async save(state: RotationState): Promise<RotationState> {
    const file = this.fileOf(state.plan);
    // One lstat per save (synchronous: it answers from memory): it tells whether the file is still the
    // one last written here, and it is the look writeAtomic takes before replacing it (handed over).
    const now = lookAt(file);
    const changed = nextRecord(state, await this.stored(file, state.plan, now));
    if (!changed) return { ...state }; // nothing changed: the file already holds it
    const { next, content } = changed;
    if (!this.stateDirReady) await ensureDir(this.stateDir);
    this.stateDirReady = true;
    try {
      // A failed write (disk full) leaves the previous record in place: only a complete file is renamed over it.
      const written = await writeAtomic(file, `${JSON.stringify(next, null, 2)}\n`, { seen: { stats: now } });
      this.known.set(state.plan, { version: next.version, content, file: fileSignature(written) });
    } catch (e) {
      this.known.delete(state.plan);
      this.stateDirReady = false;
      throw await stateIoError(e, file, { plan: state.plan });
    }
    return next;
  }

  async list(): Promise<RotationState[]> {
    const names = await readdir(this.stateDir).catch(() => [] as string[]);
    const states = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.read(path.join(this.stateDir, n), n.slice(0, -'.json'.length))));
    return states.filter((s): s is RotationState => s !== undefined);
  }

  /** One folder listing, then the files that exist, read as they are (nothing remembered for a save). */
  async *peek(plans: readonly string[]): AsyncGenerator<Peeked[]> {
    const names = await readdir(this.stateDir).catch(() => [] as string[]);
    const stored = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)));
    yield* peekPages(plans, stored, (plan) => this.read(this.fileOf(plan), plan));
  }

  /** One folder listing, then the ledgers that exist, read as they are. */
  async *peekLedgers(plans: readonly string[]): AsyncGenerator<PeekedLedger[]> {
    const stored = new Set(await this.ledgerPlans());
    const read = async (plan: string): Promise<PeekedLedger> => ({ plan, keys: stored.has(plan) ? await this.ledger(plan).load().then((l) => l.keys, () => undefined) : [] });
    for (let i = 0; i < plans.length; i += 256) yield await Promise.all(plans.slice(i, i + 256).map(read));
  }

  /** The audit log streamed once, the ledgers and records peeked (peek-plans.ts). */
  peekPlans(plans: readonly string[], ledgered: ReadonlySet<string>): AsyncIterable<PeekedPlan[]> {
    return peekSeparately(this, plans, ledgered);
  }

  lock(plan: string, holder: LockHolder, waitMs: number, signal?: AbortSignal): Promise<PlanLock> {
    return lockPlan(path.join(this.location, 'locks'), plan, holder, waitMs, signal);
  }
}
