// Rotation records in Vault: `state/<plan>` holds {record: JSON}. Every write carries `cas` (the KV
// version read just before), so of two writers one is refused: a lost update is impossible.
import { KeyrotError } from '../errors.js';
import { contentOf, nextRecord, parseRecord, type Stored } from './record.js';
import type { RotationState } from './rotation-state.js';
import type { Peeked } from './store.js';
import { peekViews, type PeekWay } from './vault-mirror.js';
import { ownText, ownView } from './vault-own-text.js';
import type { VaultSpace } from './vault-space.js';

export class VaultRecords {
  /**
   * Per plan, the state record's version and the KV version it was last read or written at by this
   * process: a save writes with that cas at once instead of reading the record again (a write by anyone
   * else in between changes the KV version, so cas still refuses it), and what it held (`content`): a
   * save that changes nothing but `updatedAt` writes nothing. Forgotten when the plan's lock is released.
   */
  private readonly seen = new Map<string, Stored & { kvVersion: number }>();

  constructor(
    private readonly space: VaultSpace,
    private readonly locked: ReadonlySet<string>,
  ) {}

  /** The text of the last record this process wrote per plan, and its KV version (until the lock is released). */
  private readonly wrote = new Map<string, { view: string; version: number }>();
  /** Per plan whose lock this process holds, the record's text as last read or written here ('' for none). */
  private readonly held = new Map<string, string>();

  forget(plan: string): void {
    this.seen.delete(plan);
    this.wrote.delete(plan);
    this.held.delete(plan);
  }

  /** The record's text as this process last read or wrote it under the plan's lock ('' for none); undefined if it does not know. */
  heldView(plan: string): string | undefined {
    return this.held.get(plan);
  }

  /** The stored record and the KV version it is in (0: none); an empty record is none (set aside). */
  private async read(plan: string): Promise<{ record: RotationState | undefined; kvVersion: number }> {
    this.held.delete(plan); // known again only once read in full
    const found = await (await this.space.kv('state', plan)).read();
    const text = ownText(found, 'record', this.space.where('state', plan), plan);
    if (!found || text === '') {
      if (this.locked.has(plan)) this.held.set(plan, '');
      return { record: undefined, kvVersion: found?.version ?? 0 };
    }
    const record = parseRecord(text, this.space.where('state', plan), plan);
    if (this.locked.has(plan)) this.held.set(plan, text);
    return { record, kvVersion: found.version };
  }

  /** Read the record, and remember it for the next save. */
  private async current(plan: string): Promise<{ record: RotationState | undefined; kvVersion: number }> {
    const found = await this.read(plan);
    const { record, kvVersion } = found;
    this.seen.set(plan, record ? { version: record.version, kvVersion, content: contentOf(record) } : { version: 0, kvVersion });
    return found;
  }

  /** The records of a page of OpenBao's detailed listing at once, from their mirrors (vault-mirror.ts), else read one by one. */
  async *peek(plans: readonly string[], way?: PeekWay): AsyncGenerator<Peeked[]> {
    // A record of the wrong shape throws here: the peek says unknown, and the check under the lock refuses it.
    const recordOf = (data: Record<string, unknown> | undefined) => ownView(data, 'record') || undefined;
    for await (const page of peekViews(this.space, 'state', plans, recordOf, way)) {
      yield page.map(({ name: plan, view, failed }): Peeked => {
        if (failed) return { plan, state: undefined, unknown: true };
        try {
          return { plan, state: view === undefined ? undefined : parseRecord(view, this.space.where('state', plan), plan) };
        } catch {
          return { plan, state: undefined, unknown: true };
        }
      });
    }
  }

  /** What this process wrote for the plan while holding its lock (its text and KV version): the mirror to write. */
  written(plan: string): { view: string; version: number } | undefined {
    return this.wrote.get(plan);
  }

  async load(plan: string): Promise<RotationState | undefined> {
    return (await this.current(plan)).record;
  }

  async save(state: RotationState): Promise<RotationState> {
    const { plan } = state;
    // The record this process last read or wrote, if it is the one being replaced: no need to read it
    // again (cas refuses the write if anyone wrote since). Otherwise read it: a corrupt record is never
    // overwritten here (current() throws), keyrot abandon sets it aside first.
    let stored = this.seen.get(plan);
    if (stored?.version !== state.version) {
      await this.current(plan); // remembers what it read
      stored = this.seen.get(plan)!;
    }
    const changed = nextRecord(state, stored);
    if (!changed) return { ...state }; // nothing changed: Vault already holds it
    const text = JSON.stringify(changed.next);
    const written = await (await this.space.kv('state', plan)).write({ record: text }, stored.kvVersion, []);
    if (written === 'cas-mismatch') {
      this.seen.delete(plan);
      this.held.delete(plan);
      this.wrote.delete(plan); // another wrote after it: what this process wrote is no longer the record
      const found = await this.load(plan).then((r) => r?.version ?? 0, () => 'unreadable');
      throw new KeyrotError('state-conflict', { plan, expected: state.version, found });
    }
    this.seen.set(plan, { version: changed.next.version, kvVersion: written, content: changed.content });
    if (this.locked.has(plan)) {
      this.wrote.set(plan, { view: text, version: written });
      this.held.set(plan, text);
    }
    return changed.next;
  }

  /** Move an unusable record to `unusable/<plan>-<time>` (keyrot abandon): returns where it went. */
  async setAside(plan: string): Promise<string> {
    this.seen.delete(plan);
    this.held.delete(plan);
    const kv = await this.space.kv('state', plan);
    const found = await kv.read();
    const name = `${plan}-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    // Kept as it was found: the record's text, or whatever stood in its place (a record of the wrong shape), as JSON.
    const record = found?.data?.record;
    const kept = typeof record === 'string' && Object.keys(found?.data ?? {}).length === 1 ? record : JSON.stringify(found?.data ?? null);
    await (await this.space.kv('unusable', name)).write({ record: kept }, 0, []);
    if ((await kv.write({ record: '' }, found?.version ?? 0, [])) === 'cas-mismatch') {
      throw new KeyrotError('state-conflict', { plan, expected: 'the unusable record', found: 'a newer write' });
    }
    return this.space.where('unusable', name);
  }

  async list(): Promise<RotationState[]> {
    const records = await Promise.all((await this.space.names('state')).map((plan) => this.load(plan)));
    return records.filter((r): r is RotationState => r !== undefined);
  }
}
