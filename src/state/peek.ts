// Reading many plans' records without their locks (StateStore.peek), for the file and Vault stores
// alike: only the plans the store lists as having a record are read, a few at a time, and answered a
// page at a time, so a folder of 10,000 plans is never held in memory at once.
import pLimit from 'p-limit';
import type { RotationState } from './rotation-state.js';
import type { Peeked } from './store.js';

const PAGE = 256;
const READS_AT_ONCE = 16;

/** `stored`: the plans that have a record (a folder listing, a Vault LIST); `read` reads one of them. */
export async function* peekPages(
  plans: readonly string[],
  stored: ReadonlySet<string>,
  read: (plan: string) => Promise<RotationState | undefined>,
): AsyncGenerator<Peeked[]> {
  const limit = pLimit(READS_AT_ONCE);
  for (let i = 0; i < plans.length; i += PAGE) {
    yield await Promise.all(
      plans.slice(i, i + PAGE).map((plan) =>
        stored.has(plan)
          ? limit(async (): Promise<Peeked> => {
              try {
                return { plan, state: await read(plan) };
              } catch {
                // Corrupt or refused: the lock holder's load reports it, with what to do.
                return { plan, state: undefined, unknown: true };
              }
            })
          : { plan, state: undefined },
      ),
    );
  }
}
