// keyrot doctor: render the engine's preflight of each plan; exit 4 when a provider check failed.
import { existsSync } from 'node:fs';
import chalk from 'chalk';
import { loadPlans } from '../../engine/load-plans.js';
import { doctor, type PlanDoctor } from '../../engine/operations/doctor.js';
import { printableDeep } from '../../shared/printable.js';
import { typedCommand } from '../invocation.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';
import { operationOptions, type Wiring } from '../session-options.js';

const MARK = {
  pass: () => chalk.green('ok  '),
  warn: () => chalk.yellow('WARN'),
  fail: () => chalk.red('FAIL'),
  skip: () => chalk.dim('--  '),
} as const;

function render(r: PlanDoctor): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`${chalk.bold(`plan ${r.plan}`)}  ${chalk.dim(r.file)}`);
  for (const p of r.providers) {
    out(`  ${p.role === 'issuer' ? 'source' : p.role === 'usage' ? 'usage ' : 'target'} ${p.provider}`);
    for (const c of p.checks) {
      out(`    ${MARK[c.status]()} ${c.check.padEnd(15)} ${c.detail}`);
      if (c.hint && c.status !== 'pass' && c.status !== 'skip') out(`         ${chalk.dim('hint:')} ${c.hint}`);
    }
  }
}

export async function doctorCommand(args: string[], opts: OutputFlags & { state?: string }, wiring: Wiring): Promise<number> {
  const named = args.length > 0 ? args : [existsSync('rotation-plans') ? 'rotation-plans' : '.'];
  const { ok, plans, exitCode } = await doctor(await loadPlans(named, opts.state), operationOptions(opts, wiring));
  if (outputOf(opts) === 'json') writeJson({ type: 'doctor', ok, plans });
  else {
    printableDeep(plans).forEach(render);
    const failing = plans.filter((r) => !r.ok).map((r) => r.plan);
    process.stdout.write(ok ? 'every check passed (warnings, if any, are above)\n' : `checks failed for ${failing.join(', ')}: fix what each FAIL line says, then check again: \`${printableDeep(typedCommand())}\`\n`);
  }
  return exitCode;
}
