// What a "key" is for a database login (src/providers/issuers/database/login-key.ts), as users meet
// it: key ids, the {{username}} a target template gets from one, the PostgreSQL comment reading, and
// which Redis connections the session gate counts.
import { describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { freeLogin, parseKeyId } from '../../src/providers/issuers/database/login-key.js';
import { keyOfRole, setComment } from '../../src/providers/issuers/postgresql/roles.js';
import { scramVerifier } from '../../src/providers/issuers/postgresql/scram.js';
import { openedBefore, parseClients } from '../../src/providers/issuers/redis/passwords.js';
import { renderTemplate, unknownPlaceholders } from '../../src/shared/template.js';

const role = (rolname: string, rolcanlogin: boolean, comment: string | null) => ({ rolname, rolcanlogin, rolsuper: false, rolcreaterole: false, comment });

describe('database key ids', () => {
  it('name the login and its password generation; {{username}} is the login', () => {
    expect(parseKeyId('orders_green@2026-01-01T00:00:00.000Z', ['orders_blue', 'orders_green'])).toEqual({ login: 'orders_green', generation: '2026-01-01T00:00:00.000Z' });
    expect(parseKeyId('other@x', ['orders_blue'])).toBeUndefined();
    const rendered = renderTemplate('postgres://{{username}}:{{secret}}@db/orders', { keyId: 'orders_green@2026-01-01T00:00:00.000Z', secret: 's3cr3t', rotatedAt: 'now' });
    expect(rendered).toBe('postgres://orders_green:s3cr3t@db/orders');
    expect(renderTemplate('{{username}}', { keyId: 'AKIAEXAMPLE', secret: 'x', rotatedAt: 'now' })).toBe('AKIAEXAMPLE');
    expect(unknownPlaceholders('{{username}} {{secret}}')).toEqual([]);
  });

  it('alternate: the next key goes to the login holding none; with both holding one, create refuses (key-limit)', () => {
    const key = (login: string, status: 'active' | 'inactive') => ({ id: `${login}@t`, login, status, createdAt: new Date(0) });
    expect(freeLogin(['a', 'b'], [key('a', 'active')], 'pg', 'drop')).toBe('b');
    expect(freeLogin(['a', 'b'], [key('b', 'active')], 'pg', 'drop')).toBe('a');
    const full = (() => { try { freeLogin(['a', 'b'], [key('a', 'active'), key('b', 'inactive')], 'pg', 'ALTER ROLE … PASSWORD NULL'); } catch (e) { return e; } })();
    expect(full).toBeInstanceOf(KeyrotError);
    expect((full as KeyrotError).code).toBe('key-limit');
    expect((full as KeyrotError).hint).toContain('ALTER ROLE … PASSWORD NULL for b@t');
  });
});

describe('PostgreSQL roles as keys', () => {
  it('reads the password generation and fingerprint keyrot wrote in the comment; LOGIN without it is a password set by hand', () => {
    const at = '2026-01-02T03:04:05.678Z';
    expect(keyOfRole(role('a', true, setComment(at, 'sha256:0123456789ab')))).toEqual({ id: `a@${at}`, login: 'a', status: 'active', createdAt: new Date(at), fingerprint: 'sha256:0123456789ab' });
    expect(keyOfRole(role('a', false, setComment(at, 'sha256:0123456789ab')))?.status).toBe('inactive');
    expect(keyOfRole(role('a', true, 'owned by the orders team'))).toEqual({ id: 'a@external', login: 'a', status: 'active', createdAt: new Date(0) });
    expect(keyOfRole(role('a', false, setComment('external')))).toEqual({ id: 'a@external', login: 'a', status: 'inactive', createdAt: new Date(0) });
    expect(keyOfRole(role('a', false, 'keyrot: password removed 2026-01-01T00:00:00.000Z; …'))).toBeUndefined();
    expect(keyOfRole(role('a', false, null))).toBeUndefined();
  });

  it('sends a SCRAM-SHA-256 verifier, never the password, and a fresh salt each time', () => {
    const a = scramVerifier('correct horse');
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(a.includes('correct horse')).toBe(false);
    expect(scramVerifier('correct horse')).not.toBe(a);
  });
});

describe('Redis: which connections the session gate counts', () => {
  it('only connections opened before the newer password was added: ids up to the watermark, ages reaching back before it', () => {
    const added = new Date('2026-01-01T00:10:00.000Z');
    const now = added.getTime() + 30_000;
    const newer = { id: 'app@b', status: 'active' as const, createdAt: added, hash: 'b', lastClientId: 40 };
    const clients = parseClients([
      'id=12 addr=10.0.0.1:5000 laddr=x fd=8 name= age=3600 idle=0 flags=N user=app', // long before: uses the old password
      'id=41 addr=10.0.0.2:5001 laddr=x fd=9 name= age=30 idle=0 flags=N user=app', // right after the password was added
      'id=39 addr=10.0.0.3:5002 laddr=x fd=9 name= age=30 idle=0 flags=N user=app', // a moment before it: could be either, counted
      'id=7 addr=10.0.0.4:5003 laddr=x fd=9 name= age=5 idle=0 flags=N user=app', // id reused after a restart, but young: new
    ].join('\n'));
    expect(openedBefore(clients, newer, now).map((c) => c.addr)).toEqual(['10.0.0.1', '10.0.0.3']);
    const { lastClientId: _none, ...noWatermark } = newer; // a create cut short before the watermark was kept: by age alone
    expect(openedBefore(clients, noWatermark, now).map((c) => c.addr)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });
});
