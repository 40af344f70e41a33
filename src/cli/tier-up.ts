// When V8 optimises the code of a run (issue 27). V8 hands a function to its optimising compiler
// (TurboFan, on a background thread) once the function has run a budget of bytecode
// (--interrupt-budget: 66 KB in Node 20's V8). A run over a few hundred plans calls most of its
// functions, keyrot's and the SDK's, a few hundred to a few thousand times: at that budget TurboFan
// compiles many of them for the few calls left, ~16% of the CPU of 200 IAM rotations (perf record
// -g: v8::internal::compiler), more than their optimised code gives back. With TIER_UP_BUDGET, only
// code that runs long enough to repay its compilation is optimised: 8.6% less CPU over 200 IAM
// rotations (same-run pairs). Over 1000 the code runs long enough to repay V8's own budget, and the
// later one cost 2-6% more CPU (3 pairs); over 500, 1% less (median of 3 pairs, -3% to +6%): only a
// run over at most TIER_UP_MAX_PLANS plans takes it.
// V8 reads the budget each time it resets a function's count, so setting it when a run starts covers
// the code the run then loads.
import v8 from 'node:v8';
import { userChose } from './heap.js';

export const TIER_UP_BUDGET = 600_000;
export const TIER_UP_MAX_PLANS = 500;

/** A run over `plans` plans: its code optimised later (at TIER_UP_BUDGET) if they are few, unless the user chose the budget. */
export function tierUpLater(plans: number): void {
  if (plans > TIER_UP_MAX_PLANS || userChose(/interrupt[-_]budget=/, process.execArgv, process.env.NODE_OPTIONS)) return;
  v8.setFlagsFromString(`--interrupt-budget=${TIER_UP_BUDGET}`);
}
