// The one field keyrot writes in a secret of its Vault space (`record` of state/<plan>, `ledger` of
// ledger/<plan>). Anything else there was not written by keyrot in its own shape (`{"record": 5}`,
// other fields beside it, no field): it is refused, naming where, never taken for "no record" and
// overwritten, as the file store refuses a file it cannot read.
import { KeyrotError } from '../errors.js';
import { printable } from '../shared/printable.js';
import type { SecretVersion } from '../vault/kv2.js';

/** What is wrong with a secret's data as keyrot's own (one string `field`), or undefined when nothing is. */
export function fieldProblem(data: Record<string, unknown>, field: string): string | undefined {
  const value = data[field];
  const others = Object.keys(data).filter((k) => k !== field);
  const fields = printable(others.slice(0, 5).join(', '), 120);
  if (value === undefined) return `it has no "${field}" field (only ${fields || 'none'})`;
  if (others.length > 0) return `it holds ${others.length === 1 ? 'a field' : 'fields'} keyrot never writes (${fields}) beside "${field}"`;
  if (typeof value !== 'string') return `its "${field}" is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not the JSON text keyrot writes`;
  return undefined;
}

/** The field's text: '' when there is none (no secret, a deleted version, a record set aside); state-corrupt otherwise. */
export function ownText(found: SecretVersion | undefined, field: string, where: string, plan: string): string {
  if (!found?.data) return '';
  const problem = fieldProblem(found.data, field);
  if (problem) throw new KeyrotError('state-corrupt', { path: where, plan, reason: `${problem}: it was not written by keyrot` });
  return found.data[field] as string;
}

/** For a peek: the field's text, '' for none; a data of the wrong shape throws (the peek says unknown). */
export function ownView(data: Record<string, unknown> | undefined, field: string): string {
  if (!data) return '';
  const problem = fieldProblem(data, field);
  if (problem) throw new Error(problem);
  return data[field] as string;
}
