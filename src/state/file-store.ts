// The embedded default state store: one JSON file per plan under .keyrot/, written atomically
// (temp file, fsync, rename) with mode 0600.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { KeyrotError } from '../errors.js';
import type { RotationState } from '../engine/rotation.js';
import { lockPlan } from './file-lock.js';
import type { LockHolder, PlanLock, StateStore } from './store.js';

const FORMAT = 1;

// Fault injection for the crash tests: KEYROT_FAULT_KILL_AT=phase:stage (e.g. publish:acting) makes
// this process SIGKILL itself right after it saves that state, i.e. at an exact step boundary.
const killAt = process.env.KEYROT_FAULT_KILL_AT;

export class FileStateStore implements StateStore {
  constructor(readonly location: string) {}

  private get stateDir() {
    return path.join(this.location, 'state');
  }

  private fileOf(plan: string) {
    return path.join(this.stateDir, `${plan}.json`);
  }

  private async read(file: string): Promise<RotationState | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const state = JSON.parse(text) as RotationState;
      if (state.format !== FORMAT) throw new Error(`format ${state.format}, this keyrot reads format ${FORMAT}`);
      return state;
    } catch (e) {
      throw new KeyrotError('state-corrupt', { path: file, reason: (e as Error).message });
    }
  }

  load(plan: string): Promise<RotationState | undefined> {
    return this.read(this.fileOf(plan));
  }

  async save(state: RotationState): Promise<RotationState> {
    const file = this.fileOf(state.plan);
    const stored = await this.read(file);
    const storedVersion = stored?.version ?? 0;
    if (storedVersion !== state.version) {
      throw new KeyrotError('state-conflict', { plan: state.plan, expected: state.version, found: storedVersion });
    }
    const next = { ...state, version: state.version + 1 };
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, fsync: true });
    if (killAt && killAt === `${next.phase}:${next.stage}`) process.kill(process.pid, 'SIGKILL');
    return next;
  }

  async list(): Promise<RotationState[]> {
    const names = await readdir(this.stateDir).catch(() => [] as string[]);
    const states = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.read(path.join(this.stateDir, n))));
    return states.filter((s): s is RotationState => s !== undefined);
  }

  lock(plan: string, holder: LockHolder, waitMs: number): Promise<PlanLock> {
    return lockPlan(path.join(this.location, 'locks'), plan, holder, waitMs);
  }
}
