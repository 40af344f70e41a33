// A rotation record as every state store keeps it (file-store.ts, vault-record.ts): JSON text, checked
// field by field when read, and compared with what is stored when saved: the version must be the
// stored one (else 'state-conflict'), and a save that changes nothing but `updatedAt` writes nothing.
import { KeyrotError } from '../errors.js';
import type { RotationState } from './rotation-state.js';
import { stateProblem } from './schema.js';

/** A record without `version` and `updatedAt`: what tells whether a save changes anything. */
export const contentOf = ({ version: _v, updatedAt: _u, ...rest }: RotationState): string => JSON.stringify(rest);

/** What a store last read or wrote for a plan: the record's version, and its content when there is one. */
export interface Stored {
  version: number;
  content?: string;
}

/** The record in `text`, stored at `path`; anything that is not a usable record is 'state-corrupt'. */
export function parseRecord(text: string, path: string, plan: string): RotationState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const reason = text.trim() === '' ? 'it is empty' : `it is not JSON, or was cut short (${(e as Error).message})`;
    throw new KeyrotError('state-corrupt', { path, plan, reason });
  }
  const problem = stateProblem(value, plan);
  if (problem) throw new KeyrotError('state-corrupt', { path, plan, ...problem });
  return value as RotationState;
}

/**
 * What saving `state` over `stored` writes: the record with its next version and its content, or
 * undefined when the stored record already says all there is to say. A version other than the
 * stored one was written by someone else since: refused.
 */
export function nextRecord(state: RotationState, stored: Stored): { next: RotationState; content: string } | undefined {
  if (stored.version !== state.version) throw new KeyrotError('state-conflict', { plan: state.plan, expected: state.version, found: stored.version });
  const content = contentOf(state);
  if (content === stored.content) return undefined;
  return { next: { ...state, version: state.version + 1 }, content };
}
