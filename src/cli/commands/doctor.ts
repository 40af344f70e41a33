// keyrot doctor: render the engine's preflight of each plan; exit 4 when a provider check failed.
import { existsSync } from 'node:fs';
import chalk from 'chalk';
import { doctor, type PlanDoctor } from '../../engine/doctor.js';
import { EXIT } from '../../messages.js';
import { openState } from '../../state/open.js';
import { loadPlans } from '../load-plans.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';

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

export async function doctorCommand(args: string[], opts: OutputFlags & { state?: string }): Promise<number> {
  const named = args.length > 0 ? args : [existsSync('rotation-plans') ? 'rotation-plans' : '.'];
  const states = openState(opts.state);
  const reports = await Promise.all((await loadPlans(named, opts.state)).map((loaded) => doctor(loaded, opts.state, states)));
  const ok = reports.every((r) => r.ok);
  if (outputOf(opts) === 'json') writeJson({ type: 'doctor', ok, plans: reports });
  else {
    reports.forEach(render);
    const failing = reports.filter((r) => !r.ok).map((r) => r.plan);
    process.stdout.write(ok ? 'every check passed (warnings, if any, are above)\n' : `checks failed for ${failing.join(', ')}: fix what each FAIL line says, then run keyrot doctor again\n`);
  }
  return ok ? EXIT.ok : EXIT.provider;
}
