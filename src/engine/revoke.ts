// keyrot revoke: a key leaked. Revoke first, then replace, then let people investigate.
// This decides which rotation record the revoke runs in; the phases (revoke, create, publish,
// verify, deactivate, soak, delete) then run like any other.
import { KeyrotError } from '../errors.js';
import { callProvider } from './providers.js';
import type { RotationState } from './rotation.js';
import type { PlanSession } from './session.js';

export type RevokeStart = { state: RotationState } | { nothing: string };

export async function beginRevoke(session: PlanSession, keyId: string): Promise<RevokeStart> {
  const { saved, providers, loaded } = session;
  const plan = loaded.plan.name;

  // A rotation held before it created anything (say at the key limit) is no rotation to take over.
  const flying = saved && saved.phase !== 'done' && (saved.keysBeforeCreate !== null || saved.mode === 'revoke') ? saved : undefined;
  if (flying && flying.phase !== 'done') {
    if (flying.mode === 'revoke' && flying.oldKeyId === keyId) return { state: flying }; // the same revoke, again
    if (flying.newKeyId === keyId) throw new KeyrotError('revoke-new-key', { plan, keyId });
    if (flying.oldKeyId === keyId) {
      // Take over the rotation in flight: revoke now, then go on where it stood, without the overlap.
      const resumeAt = { phase: flying.phase, stage: flying.stage };
      return { state: { ...flying, mode: 'revoke', phase: 'revoke', stage: 'ready', resumeAt, hold: null, rolledBack: null } };
    }
  }

  const key = (await callProvider(providers.issuer, 'list', () => providers.issuer.list())).find((k) => k.id === keyId);
  if (!key) throw new KeyrotError('revoke-no-owner', { keyId, asked: plan });
  if (key.status !== 'active') return { nothing: `${keyId} is already inactive at ${providers.issuer.label}` };
  if (flying) {
    throw new KeyrotError('revoke-conflict', { plan, keyId, oldKeyId: flying.oldKeyId, newKeyId: flying.newKeyId });
  }
  return { state: { ...session.fresh(), mode: 'revoke', phase: 'revoke', oldKeyId: keyId } };
}
