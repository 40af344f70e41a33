import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LoadedPlan } from '../plan/load.js';
import { stateDirOf } from '../state/location.js';

/** The state folders to look in: --state, or those of the plans given, or the usual places. */
export function stateDirs(plans: LoadedPlan[], state?: string): string[] {
  if (state) return [path.resolve(state)];
  if (plans.length > 0) return [...new Set(plans.map((p) => stateDirOf(p)))];
  return ['.keyrot', path.join('rotation-plans', '.keyrot')].filter((d) => existsSync(d)).map((d) => path.resolve(d));
}
