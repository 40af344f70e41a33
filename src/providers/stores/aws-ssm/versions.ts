// Which versions of a parameter hold which key. Parameter Store's tags belong to the parameter, not to a
// version, so keyrot writes the key id into each version's description ("keyrot plan P: key K"), which
// GetParameterHistory returns per version; the tags name the version keyrot wrote last and the one it
// replaced. A version keyrot did not write (adopted) is known only as "the one it replaced".
import { T } from '../aws-tags.js';
import type { Version } from './client.js';

/** On the version a publish replaced: consumers that accept the previous key read NAME:keyrot-previous. */
export const PREVIOUS = 'keyrot-previous';
/** On the old key's version once it is no longer served, kept for a rollback until the delete. */
export const RETIRED = 'keyrot-retired';
export const OURS = new Set([PREVIOUS, RETIRED]);
/** Parameter Store keeps this many versions; writing one more pushes the oldest out (unless it is labelled). */
export const HISTORY_LIMIT = 100;

export const describeVersion = (plan: string, keyId: string): string => `keyrot plan ${plan}: key ${keyId}`;
const DESCRIBED = /^keyrot plan \S+: key (.+)$/;

/** The key a version holds: its description, else the tags' record of the version keyrot replaced ('' = adopted, id unknown). */
export function keyIdIn(version: Version, tags: Record<string, string>): string | undefined {
  const described = DESCRIBED.exec(version.description)?.[1];
  if (described) return described;
  if (tags[T.previousVersion] === String(version.version)) return tags[T.previousKeyId] ?? '';
  return undefined;
}

/**
 * The versions before the latest that hold `keyId`, oldest first. An adopted value (recorded as '') is
 * taken for the key only when no version names it: it held the key that was active when keyrot took over.
 */
export function holding(versions: Version[], tags: Record<string, string>, keyId: string): Version[] {
  const older = versions.slice(0, -1);
  const named = older.filter((v) => keyIdIn(v, tags) === keyId);
  const latest = versions.at(-1);
  if (named.length > 0 || (latest && keyIdIn(latest, tags) === keyId)) return named;
  return older.filter((v) => keyIdIn(v, tags) === '');
}

/**
 * How many versions must be written on top of the latest for every version up to `top` to fall out of
 * the history: Parameter Store drops the oldest version when a write would make 101, so versions up to
 * `top` are gone once the latest version number reaches top + 100.
 */
export const writesToPushOut = (latest: number, top: number): number => Math.max(0, HISTORY_LIMIT - latest + top);
