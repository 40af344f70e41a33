// keyrot validate: load every plan named (`-` is one read from stdin) and say what each is; an
// invalid plan is the error loading it throws, with every problem as file:line:col.
import { loadPlans } from '../load-plans.js';

export interface ValidPlan {
  file: string;
  plan: string;
  source: string;
  targets: string[];
}

export async function validate(args: string[]): Promise<ValidPlan[]> {
  const loaded = await loadPlans(args, undefined, { stdin: true });
  return loaded.map((l) => ({ file: l.file, plan: l.plan.name, source: l.plan.source.type, targets: l.plan.publish.map((p) => p.type) }));
}
