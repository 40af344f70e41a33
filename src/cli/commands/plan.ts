// keyrot plan: render the engine's dry run of each plan.
import chalk from 'chalk';
import { loadPlans } from '../../engine/load-plans.js';
import { preview, type PlanPreview } from '../../engine/operations/preview.js';
import { printableDeep } from '../../shared/printable.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';
import { operationOptions, type Wiring } from '../session-options.js';

function render(p: PlanPreview): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`${chalk.bold(`plan ${p.plan}`)}  ${chalk.dim(p.file)}`);
  if (p.error) {
    out(`  ${chalk.red(`✖ cannot preview it: ${p.error.message}`)}`);
    out(`    ${chalk.dim('hint:')} ${p.error.hint}`);
    return;
  }
  out(`  source   ${p.issuer}`);
  for (const target of p.targets) out(`  target   ${target}`);
  out(p.inFlight ? `  in flight: rotation ${p.inFlight.rotationId} at ${p.inFlight.phase} (${p.inFlight.stage})` : `  nothing in flight: \`${p.next}\` would start a rotation now`);
  for (const [i, phase] of p.phases.entries()) {
    out(`  ${chalk.bold(`${i + 1}. ${phase.phase.padEnd(10)}`)} ${phase.summary}${phase.permanent ? chalk.red('  [permanent]') : ''}`);
    for (const call of phase.calls) out(`       call   ${call}`);
    if (phase.checks) out(`       checks ${phase.checks}`);
    if (phase.now) {
      const { verdict, until, code, evidence } = phase.now;
      const said = verdict === 'pass' ? chalk.green('would pass') : verdict === 'wait' ? chalk.yellow(`would wait until ${until}`) : chalk.red(`would hold: ${code}`);
      out(`       now    ${said}${evidence.length ? `: ${evidence.join('; ')}` : ''}`);
    }
  }
  if (p.firstKey) out(`  ${chalk.dim(p.firstKey)}`);
}

export async function planCommand(args: string[], opts: OutputFlags & { state?: string }, wiring: Wiring): Promise<number> {
  const options = operationOptions(opts, wiring);
  const { previews, exitCode } = await preview(await loadPlans(args, opts.state), options);
  if (outputOf(opts) === 'json') writeJson({ type: 'plan', plans: previews });
  else {
    printableDeep(previews).forEach(render);
    const failed = previews.filter((p) => p.error).map((p) => p.plan);
    if (failed.length > 0 && previews.length > 1) process.stdout.write(`${chalk.red(`could not preview ${failed.join(', ')}`)} (each says why above); the others are shown\n`);
  }
  return exitCode;
}
