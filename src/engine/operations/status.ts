// keyrot status: every plan named (its active key's age, its last outcome) and every rotation in
// flight in the state stores read, each with its next action. Read-only, but for --metrics-file.
import { KeyrotError } from '../../errors.js';
import { commandArg, EXIT, say, type ExitCode } from '../../messages.js';
import type { LoadedPlan } from '../../plan/load.js';
import { formatDuration } from '../../shared/duration.js';
import type { PlanInventory } from '../inventory.js';
import type { OperationOptions } from '../options.js';
import { leftToDelete, leftToDeleteAdvice } from '../revoke-also.js';
import { inFlight, type RotationState } from '../rotation.js';

export interface StatusRequest {
  metricsFile?: string;
}

export interface PlanStatus extends PlanInventory {
  /** The key's age in words: "12d old (maxAge 30d, due in 18d)". */
  age: string;
}

export interface StatusReport {
  now: Date;
  /** The plans named, by name. */
  plans: PlanStatus[];
  /** The rotations in flight, by plan name, each with what happens next; and a finished one that left
   *  leaked keys revoked and not deleted (abandoned), until the next rotation deletes them. */
  rotations: Array<{ state: RotationState; next: string }>;
  /** Plans in the stores read with nothing in flight. */
  idle: number;
  /** The state stores read (a folder, or a Vault address). */
  places: string[];
  /** 4 when a plan's issuer could not be asked (the rest is still reported). */
  exitCode: ExitCode;
}

/** The order plans are shown in: String.localeCompare's, with one collator for every comparison (10,000 plans). */
const byName = new Intl.Collator().compare;

/** What happens next to a rotation in flight, in words. */
export function nextAction(s: RotationState, now: Date, planArg: string = s.plan): string {
  const left = leftToDelete(s);
  if (left.length > 0) return leftToDeleteAdvice(left.map((k) => k.keyId), planArg);
  // Rolled back, a rotation holds until resumed or abandoned, from the rollback on (not only once a run met the hold).
  if (s.rolledBack) {
    const held = say('rolled-back', { plan: s.plan, reason: s.rolledBack.reason, file: planArg });
    return `${held.message}; ${held.hint}`;
  }
  if (s.hold) return `held: ${s.hold.message}`;
  const deadline = s.phase !== 'done' ? s.deadlines[s.phase] : undefined;
  // A step left acting was cut short: by a signal or a crash, or by a call that failed (exit 4).
  if (s.stage === 'acting') return `${s.phase} did not finish (interrupted, or a call failed); the next run finishes it`;
  if (s.stage === 'waiting' && deadline) {
    const left = new Date(deadline).getTime() - now.getTime();
    return left > 0 ? `${s.phase} ends ${deadline} (in ${formatDuration(left)})` : `${s.phase} ended ${deadline}: \`keyrot run ${planArg}\` continues it`;
  }
  return `${s.phase} on the next run`;
}

/** `plans` may be empty: then the rotations of the state folders here (or --state) are reported. */
export async function status(plans: LoadedPlan[], request: StatusRequest, options: OperationOptions): Promise<StatusReport> {
  if (request.metricsFile && plans.length === 0) {
    throw new KeyrotError('usage', { problem: '--metrics-file needs the plans to report on: `keyrot status --metrics-file keyrot.prom rotation-plans/`' });
  }
  const now = options.clock.now();
  // The plan as a command names it: its file when named, else its name (resolved here and in rotation-plans/).
  const fileOf = new Map(plans.map((p) => [p.plan.name, p.file]));
  const argOf = (name: string) => commandArg(fileOf.get(name) ?? name, options.states.spec);
  // Every plan named, in flight or not: its key's age (one issuer list each), its record and its last
  // outcome, read once per store. The inventory (and through it the provider registry, zod) only when
  // plans are named: a bare status stays quick, and reads the rotations of the state folders here.
  const keys: PlanStatus[] = [];
  let flying: RotationState[];
  let idle: number;
  /** The state stores read for a bare status (a folder, or a Vault address), which it names. */
  let places: string[] = [];
  if (plans.length > 0) {
    const { inventory, describeAge } = await import('../inventory.js');
    const found = (await inventory(plans, options, now)).sort((a, b) => byName(a.plan, b.plan));
    // Each plan's age added in place: a second copy of 10,000 plans' inventories is not made.
    for (const p of found) keys.push(Object.assign(p, { age: describeAge(p, now) }));
    flying = found.flatMap((p) => (p.rotation ? [p.rotation] : p.leakedLeft ? [p.leakedLeft] : []));
    idle = found.filter((p) => p.recorded && !p.rotation && !p.leakedLeft).length;
    if (request.metricsFile) await (await import('../metrics.js')).writeStatusMetrics(request.metricsFile, found, options, now);
  } else {
    const states: RotationState[] = [];
    const stores = await options.states.stores(plans);
    for (const store of stores) states.push(...(await store.list()));
    places = stores.map((s) => s.location);
    flying = states.filter((s) => inFlight(s) || leftToDelete(s).length > 0);
    idle = states.length - flying.length;
  }
  flying.sort((a, b) => byName(a.plan, b.plan));
  return {
    now,
    plans: keys,
    rotations: flying.map((state) => ({ state, next: nextAction(state, now, argOf(state.plan)) })),
    idle,
    places,
    exitCode: keys.some((k) => k.error) ? EXIT.provider : EXIT.ok,
  };
}
