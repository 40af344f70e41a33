import { EXIT } from '../../messages.js';
import { loadPlans } from '../load-plans.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';

export async function validateCommand(args: string[], opts: OutputFlags): Promise<number> {
  const loaded = await loadPlans(args, undefined, { stdin: true });
  const plans = loaded.map((l) => ({ file: l.file, plan: l.plan.name, source: l.plan.source.type, targets: l.plan.publish.map((p) => p.type) }));
  if (outputOf(opts) === 'json') {
    writeJson({ type: 'validate', plans });
    return EXIT.ok;
  }
  for (const p of plans) process.stdout.write(`ok  ${p.file}  (${p.plan}: ${p.source} -> ${p.targets.join(', ')})\n`);
  return EXIT.ok;
}
