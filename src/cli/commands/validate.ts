// keyrot validate: render what the engine found in each plan (an invalid one is the error it throws).
import { validate } from '../../engine/operations/validate.js';
import { EXIT } from '../../messages.js';
import { printableDeep } from '../../shared/printable.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';

export async function validateCommand(args: string[], opts: OutputFlags): Promise<number> {
  const plans = await validate(args);
  if (outputOf(opts) === 'json') {
    writeJson({ type: 'validate', plans });
    return EXIT.ok;
  }
  for (const p of printableDeep(plans)) process.stdout.write(`ok  ${p.file}  (${p.plan}: ${p.source} -> ${p.targets.join(', ')})\n`);
  return EXIT.ok;
}
