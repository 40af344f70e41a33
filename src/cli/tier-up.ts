// When V8 optimises the code of a run (issue 27). V8 hands a function to its optimising compiler
// (TurboFan, on a background thread) once the function has run a budget of bytecode
// (--interrupt-budget: 66 KB in Node 20's V8). A run over a few hundred plans calls most of its
// functions, keyrot's and the SDK's, a few hundred to a few thousand times: at that budget TurboFan
// compiles many of them for the few calls left, ~16% of the CPU of 200 IAM rotations (perf record
// -g: v8::internal::compiler), more than their optimised code gives back. With TIER_UP_BUDGET, only
// code that runs long enough to repay its compilation is optimised. V8 reads the budget each time it
// resets a function's count, so setting it when a run starts covers the code the run then loads.
import v8 from 'node:v8';
import { userChose } from './heap.js';

export const TIER_UP_BUDGET = 600_000;

/** Optimise a run's code later (at TIER_UP_BUDGET), unless the user chose the budget themselves. */
export function tierUpLater(): void {
  if (userChose(/interrupt[-_]budget=/, process.execArgv, process.env.NODE_OPTIONS)) return;
  v8.setFlagsFromString(`--interrupt-budget=${TIER_UP_BUDGET}`);
}
