import { EXIT } from '../../messages.js';
import { planJsonSchema } from '../../engine/operations/scaffold.js';

export async function schemaCommand(): Promise<number> {
  process.stdout.write(`${JSON.stringify(planJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
