// A Redis ACL user's passwords as keyrot's keys (database/login-key.ts). Redis keeps each password as
// its SHA-256 and nothing else: not when it was added, nor a removed one. keyrot's ledger (in its
// state store) adds both: when each password was added (by Redis's clock), and the hash of each one it
// removed, so a rollback can add it back by hash without anyone keeping the password.
//   a hash on the user                                -> key <user>@<first 12 hex>, active
//   a hash the ledger marks inactive, not on the user -> the same key, inactive (removed, restorable)
// The hash's first 12 hex digits are also the password's fingerprint (sha256:…), as keyrot prints
// fingerprints, so `keyrot revoke --secret-stdin` finds a leaked password by it.
import type { LedgerEntry } from '../../../state/store.js';
import { KeyrotError } from '../../../errors.js';
import type { KeyInfo, LastUse } from '../../types.js';
import { keyIdOf } from '../database/login-key.js';

/** `lastClientId`: the highest connection id Redis had given out right after the password was added. */
export type PasswordKey = KeyInfo & { hash: string; lastClientId?: number };

export const short = (hash: string) => hash.slice(0, 12);

/** ACL GETUSER's answer (RESP2: a flat list of names and values; RESP3: a map), as flags and password hashes. */
export function parseUser(reply: unknown): { flags: string[]; passwords: string[] } | undefined {
  if (reply === null || reply === undefined) return undefined;
  const entries: Array<[string, unknown]> = Array.isArray(reply)
    ? Array.from({ length: reply.length / 2 }, (_, i) => [String(reply[2 * i]), reply[2 * i + 1]])
    : Object.entries(reply as Record<string, unknown>);
  const list = (name: string) => ((entries.find(([k]) => k === name)?.[1] ?? []) as unknown[]).map(String);
  return { flags: list('flags'), passwords: list('passwords') };
}

export const hashOf = (entry: LedgerEntry): string | undefined => (typeof entry.issuerData?.hash === 'string' ? entry.issuerData.hash : undefined);

export function keysOf(user: string, live: string[], ledger: LedgerEntry[]): PasswordKey[] {
  const known = (hash: string) => ledger.find((e) => hashOf(e) === hash);
  const key = (hash: string, status: 'active' | 'inactive'): PasswordKey => {
    const watermark = known(hash)?.issuerData?.lastClientId;
    return {
      id: keyIdOf(user, short(hash)), status, createdAt: new Date(known(hash)?.createdAt ?? 0), fingerprint: `sha256:${short(hash)}`, hash,
      ...(typeof watermark === 'number' ? { lastClientId: watermark } : {}),
    };
  };
  const removed = ledger.flatMap((e) => {
    const hash = hashOf(e);
    return e.status === 'inactive' && hash && !live.includes(hash) ? [hash] : [];
  });
  return [...live.map((h) => key(h, 'active')), ...removed.map((h) => key(h, 'inactive'))];
}

export interface Connection { id: number; user: string; ageSeconds: number; addr: string }

/** CLIENT LIST's lines, as the fields the session gate reads. */
export const parseClients = (text: string): Connection[] =>
  text.split('\n').filter(Boolean).map((line) => {
    const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? '';
    return { id: Number(field('id')), user: field('user'), ageSeconds: Number(field('age')), addr: field('addr').replace(/:\d+$/, '') };
  });

/**
 * The connections that cannot be using `newer`'s password because they were opened before it was
 * added: a connection id no higher than the watermark taken right after (ids only grow, until Redis
 * restarts), and an age that may reach back before it was added (CLIENT LIST counts whole seconds).
 */
export function openedBefore(connections: Connection[], newer: PasswordKey, serverNowMs: number): Connection[] {
  return connections.filter((c) =>
    (newer.lastClientId === undefined || c.id <= newer.lastClientId) && serverNowMs - (c.ageSeconds + 1) * 1000 < newer.createdAt.getTime());
}

/**
 * What the session gate hears about `keyId`: the user's connections opened before a newer password
 * existed (they cannot be using that one); not reported for the newest password, which any connection may use.
 */
export function sessionsOf(all: PasswordKey[], keyId: string, connections: Connection[], serverNowMs: number): LastUse {
  const key = all.find((k) => k.id === keyId);
  const newer = key ? all.filter((k) => k.createdAt > key.createdAt).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0] : undefined;
  if (!newer) return { reported: false };
  const old = openedBefore(connections, newer, serverNowMs);
  const addrs = [...new Set(old.map((c) => c.addr))].join(', ');
  return { reported: 'sessions', sessions: old.length, ...(addrs ? { clients: addrs } : {}) };
}

/** Refuse a new password for a nopass user (any password logs it in) or one holding `max` already. */
export function checkRoom(label: string, user: string, flags: string[], keys: PasswordKey[], max: number, deleteCall: string): void {
  if (flags.includes('nopass')) {
    throw new KeyrotError('db-denied', { provider: label, user, operation: 'rotate its password', reason: `${user} is "nopass": any password logs it in, so none can be rotated; remove nopass first` });
  }
  if (keys.length >= max) {
    const spare = keys.find((k) => k.status === 'inactive')?.id ?? 'the password no consumer uses';
    throw new KeyrotError('key-limit', { issuer: label, count: keys.length, keys: keys.map((k) => `${k.id} (${k.status})`).join(', '), cleanup: `${deleteCall} for ${spare}` });
  }
}
