import { EXIT } from '../../messages.js';
import { loadPlans } from '../load-plans.js';

export async function validateCommand(args: string[]): Promise<number> {
  const loaded = await loadPlans(args);
  for (const l of loaded) process.stdout.write(`ok  ${l.file}  (${l.plan.name}: ${l.plan.source.type} -> ${l.plan.publish.map((p) => p.type).join(', ')})\n`);
  return EXIT.ok;
}
