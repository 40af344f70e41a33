// keyrot revoke: a key leaked. Revoke first, then replace, then let people investigate.
// This decides which rotation record the revoke runs in; the phases (revoke, create, publish,
// verify, deactivate, soak, delete) then run like any other.
import { KeyrotError } from '../errors.js';
import type { RotationState } from './rotation.js';
import type { PlanSession } from './session.js';

export type RevokeStart = { state: RotationState } | { nothing: string };

export async function beginRevoke(session: PlanSession, keyId: string): Promise<RevokeStart> {
  const { saved, providers, loaded } = session;
  const plan = loaded.plan.name;

  if (saved && saved.phase !== 'done') {
    if (saved.mode === 'revoke' && saved.oldKeyId === keyId) return { state: saved }; // the same revoke, again
    if (saved.newKeyId === keyId) throw new KeyrotError('revoke-new-key', { plan, keyId });
    if (saved.oldKeyId === keyId) {
      // Take over the rotation in flight: revoke now, then go on where it stood, without the overlap.
      const resumeAt = { phase: saved.phase, stage: saved.stage };
      return { state: { ...saved, mode: 'revoke', phase: 'revoke', stage: 'ready', resumeAt, hold: null, rolledBack: null } };
    }
  }

  const key = (await providers.issuer.list()).find((k) => k.id === keyId);
  if (!key) throw new KeyrotError('revoke-no-owner', { keyId, asked: plan });
  if (key.status !== 'active') return { nothing: `${keyId} is already inactive at ${providers.issuer.label}` };
  if (saved && saved.phase !== 'done') {
    throw new KeyrotError('revoke-conflict', { plan, keyId, oldKeyId: saved.oldKeyId, newKeyId: saved.newKeyId });
  }
  return { state: { ...session.fresh(), mode: 'revoke', phase: 'revoke', oldKeyId: keyId } };
}
