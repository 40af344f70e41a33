// keyrot state migrate: render the engine's move of a state folder to another store (Vault).
import { existsSync, statSync } from 'node:fs';
import { migrateState } from '../../engine/operations/migrate.js';
import { KeyrotError } from '../../errors.js';
import { EXIT } from '../../messages.js';
import { printableDeep } from '../../shared/printable.js';
import { count } from '../../shared/plural.js';
import { openStates, type Wiring } from '../session-options.js';
import { outputOf, writeJson, type OutputFlags } from '../output.js';

export async function stateMigrateCommand(opts: OutputFlags & { from: string; to: string }, wiring: Wiring): Promise<number> {
  if (!existsSync(opts.from) || !statSync(opts.from).isDirectory()) {
    throw new KeyrotError('usage', { problem: `--from ${opts.from} is not a state folder (one holds state/, generated/ and audit.jsonl; e.g. rotation-plans/.keyrot)` });
  }
  const moved = await migrateState({ from: openStates(opts.from, wiring), to: openStates(opts.to, wiring) }, { command: ['keyrot', ...process.argv.slice(2)].join(' ') });

  if (outputOf(opts) === 'json') {
    writeJson({ type: 'state-migrate', ...moved });
    return EXIT.ok;
  }
  const out = (line: string) => process.stdout.write(`${printableDeep(line)}\n`);
  if (moved.plans.length === 0) out(`nothing to move: ${moved.from} holds no state, ledger or audit record`);
  for (const p of moved.plans) {
    const state = p.state === 'copied' ? `rotation record copied (${p.phase})` : p.state === 'present' ? 'rotation record already there' : 'no rotation record';
    out(`${p.plan}  ${state}, ${count(p.ledgerKeys, 'ledger key')}, ${count(p.auditRecords, 'audit record')}`);
  }
  if (moved.plans.length > 0) {
    out(`moved to ${moved.to}; ${moved.from} is left as it was: keep it as a backup, and run keyrot with --state ${moved.to} (or KEYROT_STATE) from now on`);
  }
  return EXIT.ok;
}
