// keyrot status over Vault state (StateStore.peekPlans): one detailed listing of lock/ answers every
// plan whose lock holds a fresh copy of what status shows (vault-lock-mirror.ts). What it does not
// answer (no copy, a stale or garbled one, a purpose left out of it, a plan never locked) is read the
// per-purpose way for those plans only: each secret read when they are few against the folder, else
// that purpose's own listing, as before the copies (vault-mirror.ts).
import type { AuditSummary } from '../audit/log.js';
import { peekSeparately, withParts } from './peek-plans.js';
import { parseRecord } from './record.js';
import type { LedgerEntry, Peeked, PeekedPlan } from './store.js';
import { summaryIn, type VaultAudit } from './vault-audit.js';
import { ledgerKeysIn, type VaultLedgers } from './vault-ledger.js';
import { lockMirrorViews, type PlanViews } from './vault-lock-mirror.js';
import { LISTED_PER_PAGE, type PeekWay } from './vault-mirror.js';
import type { ListedSecret } from '../vault/kv2.js';
import type { VaultRecords } from './vault-record.js';
import type { VaultSpace } from './vault-space.js';

/**
 * Reading one secret costs OpenBao about as much CPU as listing this many in a detailed listing, which
 * costs per secret in the folder however few are wanted (OpenBao 2.7 dev server: ~560 µs a read, ~55 µs
 * a secret listed): fewer names than the folder holds over this are read one by one.
 */
const READ_COSTS_LISTED = 10;

export interface VaultParts {
  space: VaultSpace;
  records: VaultRecords;
  ledgers: VaultLedgers;
  audit: VaultAudit;
}

/** What is known of a plan so far: undefined, not yet; a ledger or audit summary null, there is none to show. */
interface Known {
  record?: Peeked;
  ledger?: LedgerEntry[] | null;
  audit?: AuditSummary | null;
}

/** What a fresh copy answers; a view it holds that does not decode is left unknown (read instead). */
function fromCopy(plan: string, views: PlanViews, space: VaultSpace): Known {
  const known: Known = {};
  if (views.state !== undefined) {
    try {
      known.record = { plan, state: views.state ? parseRecord(views.state, space.where('state', plan), plan) : undefined };
    } catch {
      // garbled, or a record this version cannot read: read it (a real problem is then reported as such)
    }
  }
  const keys = views.ledger === undefined ? undefined : ledgerKeysIn(views.ledger ?? undefined);
  if (keys) known.ledger = keys;
  if (views.audit === null) known.audit = null;
  else if (views.audit !== undefined) {
    const summary = summaryIn(views.audit);
    if (summary) known.audit = summary;
  }
  return known;
}

const answered = (known: Known, ledgered: boolean) => known.record !== undefined && known.audit !== undefined && (!ledgered || known.ledger !== undefined);

const answer = (plan: string, known: Known, ledgered: ReadonlySet<string>): PeekedPlan =>
  withParts(known.record!, ledgered.has(plan) ? known.ledger ?? undefined : undefined, known.audit ?? undefined);

type Page = Map<string, ListedSecret> | undefined;
/** Its last page was taken: nothing more from this listing. */
const END = 'end' as const;

const lastKey = (page: Map<string, ListedSecret>) => [...page.keys()].sort().at(-1)!;

/**
 * lock/'s detailed listing from `from` on, a page at a time, up to `ahead` pages asked for before they
 * are taken: the next page is built by OpenBao while keyrot uses this one, and a listing started before
 * the plans are loaded (VaultStateStore.readAhead) is under way while they are. It stops after `until`
 * once that is set (another listing goes on from there).
 */
export class LockListing {
  private readonly queue: Promise<Page | typeof END>[] = [];
  private last: Promise<Page | typeof END>;
  /** The last key of the newest page that arrived: how far it has listed. */
  reached = '';
  until: string | undefined;

  constructor(
    private readonly space: VaultSpace,
    from: string,
    private readonly ahead: number,
  ) {
    this.last = this.ask(from);
    this.queue.push(this.last);
    this.fill();
  }

  /** The next page (undefined: no detailed listing here), or END. */
  next(): Promise<Page | typeof END> {
    const page = this.queue.shift()!;
    this.fill();
    return page;
  }

  private ask(after: string): Promise<Page> {
    const asked = this.space.listDetailed('lock', after, LISTED_PER_PAGE).then((page) => {
      if (page && page.size > 0) this.reached = lastKey(page);
      return page;
    });
    asked.catch(() => undefined); // awaited by next()'s caller; one that stops early leaves no unhandled rejection
    return asked;
  }

  private fill(): void {
    while (this.queue.length < this.ahead) {
      this.last = this.last.then<Page | typeof END>((page) => {
        if (page === END || !page || page.size < LISTED_PER_PAGE) return END;
        const after = lastKey(page);
        return this.until !== undefined && after >= this.until ? END : this.ask(after);
      });
      this.last.catch(() => undefined);
      this.queue.push(this.last);
    }
  }
}

/**
 * Two listings at once, each over half the names not yet listed, once there are this many or more:
 * OpenBao builds a page on one core (~90 µs a secret), so a second core halves the listing's time.
 */
const SPLIT_AT = 2 * LISTED_PER_PAGE;

export async function* peekPlansInVault(parts: VaultParts, first: LockListing, plans: readonly string[], ledgered: ReadonlySet<string>): AsyncGenerator<PeekedPlan[]> {
  const { space } = parts;
  const wanted = new Set(plans);
  const partly = new Map<string, Known>();
  const listings = [first];
  const ahead = [...wanted].filter((plan) => plan > first.reached).sort();
  if (ahead.length >= SPLIT_AT) {
    first.until = ahead[Math.floor(ahead.length / 2)]!;
    listings.push(new LockListing(space, first.until, 1));
  }
  // Each page used as it arrives, from whichever listing; the next one of that listing asked for first.
  const heads = new Map(listings.map((listing) => [listing, listing.next()]));
  let listed = 0;
  while (heads.size > 0) {
    const [listing, page] = await Promise.race([...heads].map(([l, next]) => next.then((p) => [l, p] as const)));
    if (page === END) {
      heads.delete(listing);
      continue;
    }
    heads.set(listing, listing.next());
    if (!page && listed === 0) {
      // No detailed listing here (HashiCorp Vault, or a token not allowed it): the per-purpose way.
      yield* peekSeparately({ peek: (p) => parts.records.peek(p), peekLedgers: (p) => parts.ledgers.peek(p), audit: parts.audit }, plans, ledgered);
      return;
    }
    if (!page) {
      heads.delete(listing); // a later page refused: the plans it did not list are read the per-purpose way
      continue;
    }
    listed += page.size;
    const done: PeekedPlan[] = [];
    for (const [plan, lock] of page) {
      if (!wanted.delete(plan)) continue; // not asked, or listed by the other listing too
      const views = lockMirrorViews(lock);
      const known = views ? fromCopy(plan, views, space) : {};
      if (answered(known, ledgered.has(plan))) done.push(answer(plan, known, ledgered));
      else partly.set(plan, known);
    }
    if (done.length > 0) yield done;
  }
  for (const plan of wanted) partly.set(plan, {}); // never locked (nothing written), or not listed
  if (partly.size > 0) yield* theRest(parts, partly, ledgered, listed);
}

/** The purposes the copies did not answer, read per purpose for those plans only; then every plan of `partly` answered. */
async function* theRest(parts: VaultParts, partly: Map<string, Known>, ledgered: ReadonlySet<string>, listed: number): AsyncGenerator<PeekedPlan[]> {
  const lacking = (has: (known: Known, plan: string) => boolean) => [...partly].filter(([plan, known]) => !has(known, plan)).map(([plan]) => plan);
  const wayFor = (names: string[]): PeekWay => (names.length * READ_COSTS_LISTED <= listed ? 'read' : 'listed');

  const noAudit = lacking((known) => known.audit !== undefined);
  if (noAudit.length > 0) {
    const audits = await parts.audit.summaries(noAudit, wayFor(noAudit)).catch(() => new Map<string, AuditSummary>());
    for (const plan of noAudit) partly.get(plan)!.audit = audits.get(plan) ?? null;
  }
  const noLedger = lacking((known, plan) => !ledgered.has(plan) || known.ledger !== undefined);
  if (noLedger.length > 0) {
    for await (const page of parts.ledgers.peek(noLedger, wayFor(noLedger))) for (const { plan, keys } of page) partly.get(plan)!.ledger = keys ?? null;
  }
  const noRecord = lacking((known) => known.record !== undefined);
  if (noRecord.length > 0) {
    for await (const page of parts.records.peek(noRecord, wayFor(noRecord))) {
      yield page.map((record) => {
        const known = partly.get(record.plan)!;
        partly.delete(record.plan);
        return answer(record.plan, { ...known, record }, ledgered);
      });
    }
  }
  const rest = [...partly];
  for (let i = 0; i < rest.length; i += LISTED_PER_PAGE) yield rest.slice(i, i + LISTED_PER_PAGE).map(([plan, known]) => answer(plan, known, ledgered));
}
