// Dry run: the phases ahead, the provider calls each makes, and any gate that would hold now.
// Only read calls reach a provider; a save or a side effect here would be a bug, so they throw.
import chalk from 'chalk';
import { systemClock } from '../../engine/clock.js';
import { targetIdsOf, type RotationContext } from '../../engine/context.js';
import { PHASES } from '../../engine/phases.js';
import { inFlight, newRotation, type PhaseName } from '../../engine/rotation.js';
import { buildProviders, callProvider } from '../../engine/providers.js';
import { stateDirOf } from '../../state/location.js';
import { commandArg, EXIT } from '../../messages.js';
import { FileStateStore } from '../../state/file-store.js';
import { loadPlans } from '../load-plans.js';

const noSideEffects = async (): Promise<never> => {
  throw new Error('keyrot plan attempted a side effect');
};

export async function planCommand(args: string[], opts: { state?: string }): Promise<number> {
  let code: number = EXIT.ok;
  for (const loaded of await loadPlans(args, opts.state)) {
    const stateDir = stateDirOf(loaded, opts.state);
    const saved = await new FileStateStore(stateDir).load(loaded.plan.name);
    const flying = inFlight(saved);
    const state = flying ? saved! : newRotation(loaded.plan.name, new Date(), '(new)');
    const notes: string[] = [];
    const providers = await buildProviders(loaded, stateDir, (e) => e.type === 'note' && notes.push(e.message), systemClock);
    const ctx: RotationContext = {
      plan: loaded.plan, planDir: loaded.dir, planArg: commandArg(loaded.file, opts.state), ...providers, targetIds: targetIdsOf(loaded.plan), clock: systemClock, emit: () => undefined, state,
      secrets: new Map(), save: noSideEffects, record: noSideEffects, audit: noSideEffects, notify: noSideEffects, lockLost: () => undefined, call: callProvider,
    };

    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`${chalk.bold(`plan ${loaded.plan.name}`)}  ${chalk.dim(loaded.file)}`);
    out(`  source   ${providers.issuer.label}`);
    for (const store of providers.stores) out(`  target   ${store.label}`);
    out(flying ? `  in flight: rotation ${state.rotationId} at ${state.phase} (${state.stage})` : `  nothing in flight: \`keyrot run ${commandArg(loaded.file, opts.state)}\` would start a rotation now`);

    // The phases ahead, as the table chains them (assuming a key to retire, so the whole path shows).
    const ahead: PhaseName[] = [];
    const walk = { ...ctx, state: { ...state, oldKeyId: state.oldKeyId ?? '(current key)' } };
    for (let name: PhaseName | 'done' = state.phase === 'done' ? 'create' : state.phase; name !== 'done'; name = PHASES[name].next(walk)) ahead.push(name);
    for (const [i, name] of ahead.entries()) {
      const phase = PHASES[name];
      out(`  ${chalk.bold(`${i + 1}. ${name.padEnd(10)}`)} ${phase.summary}${phase.permanent ? chalk.red('  [permanent]') : ''}`);
      for (const call of phase.calls(ctx)) out(`       call   ${call}`);
      if (phase.guards) out(`       checks ${phase.guards(ctx)}`);
      if (phase.gate && phase.previewGate && (i === 0 || !flying)) {
        const gate = await phase.gate(ctx);
        const verdict = gate.kind === 'open' ? chalk.green('would pass') : gate.kind === 'wait' ? chalk.yellow(`would wait until ${gate.until.toISOString()}`) : chalk.red(`would hold: ${gate.code}`);
        out(`       now    ${verdict}${gate.evidence.length ? `: ${gate.evidence.join('; ')}` : ''}`);
        if (gate.kind === 'hold') code = EXIT.refused;
      }
    }
    out(`  ${chalk.dim('a first rotation (no key yet) stops after verify')}`);
  }
  return code;
}
