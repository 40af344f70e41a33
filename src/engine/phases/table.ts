// The rotation as data: one row per phase, walked by the runner (runner.ts). Each row says what the
// phase is, how it resumes, what it checks first, what it does and what it waits for; its story is
// in the file of its name. The order is PHASE_NAMES (state/rotation-state.ts): a phase goes on to the
// one after it unless its story says otherwise. Nothing else branches on a phase name.
import { PHASE_NAMES, type PhaseName } from '../rotation.js';
import { create } from './create.js';
import { deactivate } from './deactivate.js';
import { deleteOld } from './delete.js';
import { drain } from './drain.js';
import { lastUsed } from './last-used.js';
import type { Phase } from './phase.js';
import { publish } from './publish.js';
import { revoke } from './revoke.js';
import { soak } from './soak.js';
import { verify } from './verify.js';

type Row = Omit<Phase, 'next'> & Partial<Pick<Phase, 'next'>>;

const ROWS: Row[] = [
  { name: 'revoke', summary: 'deactivate the leaked key at once (revoke first, investigate later)', onResume: 'redo', announces: 'revoked',
    act: revoke.act, next: revoke.next, calls: revoke.calls, guards: revoke.guards },
  { name: 'create', summary: 'create the new key (its secret stays in memory)', onResume: 'recover', previewGate: true, savesBeforeActing: true,
    gate: create.gate, act: create.act, resume: create.resume, calls: create.calls, guards: create.guards },
  { name: 'publish', summary: 'publish the new key to every target', onResume: 'recover', announces: 'published', previewGate: true,
    gate: publish.gate, act: publish.act, resume: publish.resume, calls: publish.calls, guards: publish.guards },
  { name: 'verify', summary: 'read back every target and prove the new key authenticates', onResume: 'redo',
    act: verify.act, next: verify.next, calls: verify.calls, guards: verify.guards },
  { name: 'drain', summary: 'overlap window: both keys valid while consumers reload', onResume: 'redo', announces: 'reload',
    act: drain.act, waitFor: drain.waitFor, calls: drain.calls, guards: drain.guards },
  { name: 'last-used', summary: 'check that the old key has gone quiet', onResume: 'redo',
    act: lastUsed.act, waitFor: lastUsed.waitFor, askNow: lastUsed.askNow, calls: lastUsed.calls, guards: lastUsed.guards },
  { name: 'deactivate', summary: 'deactivate the old key (reversible) and stop serving it', onResume: 'check', announces: 'deactivated',
    gate: deactivate.gate, act: deactivate.act, resume: deactivate.resume, undo: deactivate.undo, calls: deactivate.calls, guards: deactivate.guards },
  { name: 'soak', summary: 'soak: the old key stays inactive but restorable', onResume: 'redo',
    act: soak.act, waitFor: soak.waitFor, calls: soak.calls, guards: soak.guards },
  { name: 'delete', summary: 'delete the old key (permanent)', onResume: 'check', announces: 'deleted', permanent: true,
    gate: deleteOld.gate, askNow: deleteOld.askNow, act: deleteOld.act, resume: deleteOld.resume, calls: deleteOld.calls, guards: deleteOld.guards,
    keys: deleteOld.keys },
];

/** The rows by name, each knowing where it goes next; refuses (at load) a table out of PHASE_NAMES order. */
function byName(rows: Row[]): Record<PhaseName, Phase> {
  if (rows.map((r) => r.name).join() !== PHASE_NAMES.join()) throw new Error(`the phase table is not in PHASE_NAMES order: ${rows.map((r) => r.name).join(', ')}`);
  const following = (i: number) => (): PhaseName | 'done' => PHASE_NAMES[i + 1] ?? 'done';
  return Object.fromEntries(rows.map((row, i) => [row.name, { ...row, next: row.next ?? following(i) }])) as Record<PhaseName, Phase>;
}

export const PHASES = byName(ROWS);
