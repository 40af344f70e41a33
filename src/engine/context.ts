import { createHash } from 'node:crypto';
import type { KeyrotError } from '../errors.js';
import type { NotifyOutcome } from '../notify/notice.js';
import type { Plan } from '../plan/schema.js';
import type { KeyIssuer, SecretStore } from '../providers/types.js';
import type { UsageSource } from '../providers/usage/source.js';
import type { Clock } from './clock.js';
import type { Emit } from './events.js';
import type { RotationState } from './rotation.js';

/** Everything a phase may touch while it runs. */
export interface RotationContext {
  plan: Plan;
  /** Folder of the plan file: health-check commands run there. */
  planDir: string;
  /** The plan file (and --state) as hints print it, so a hinted command works when pasted. */
  planArg: string;
  issuer: KeyIssuer;
  stores: SecretStore[];
  /** Evidence of use from the service's own metrics (the plan's `usage` block), if it has one. */
  usage?: UsageSource;
  /** Identity of each store's plan entry, in the same order as `stores`. */
  targetIds: string[];
  clock: Clock;
  emit: Emit;
  /** The rotation as last saved; phases change it and then `record` or `save`. */
  state: RotationState;
  /** Secrets of keys created or read back by this process: memory only, never persisted. */
  secrets: Map<string, string>;
  /** Persist state now: atomic and durable when it returns (invariant 5); nothing is written if
   *  nothing but `updatedAt` changed. Call it before a side effect the state must be on disk for;
   *  bookkeeping between side effects is written by the runner with the next save (runner.ts). */
  save(): Promise<void>;
  /** Write one audit record for a side effect that just happened, then persist state; or (outcome
   *  'skipped') one found already done: by a run that died before recording it, or by someone else. */
  record(action: string, detail: string, outcome?: 'ok' | 'skipped'): Promise<void>;
  /** Write one audit record for a hold, a failure or an operator's decision (approve, abandon). */
  audit(phase: string, outcome: 'held' | 'failed' | 'ok' | 'skipped', detail: string, action?: string): Promise<void>;
  /** Tell the plan's notify hooks; never fails (a failed hook is reported and audited). */
  notify(outcome: NotifyOutcome, message?: string): Promise<void>;
  /** Why the plan lock was lost, if it was. */
  lockLost(): string | undefined;
  /** A failure that did not stop the rotation (a revoke that could not end the leaked key's sessions): the
   *  command ends with its exit code once the rotation has gone as far as it can. Memory only. */
  unfinished?: KeyrotError;
  /** Call a provider, turning any failure into a KeyrotError that names the provider and operation. */
  call<T>(provider: { label: string }, operation: string, fn: () => Promise<T>): Promise<T>;
}

/** A publish target's identity: position, type and a hash of its plan entry (plans hold no secret). */
export const targetIdsOf = (plan: Plan): string[] =>
  plan.publish.map((entry, i) => `${i}:${entry.type}:${createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 12)}`);
