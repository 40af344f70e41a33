// The one contract every KeyIssuer passes (src/providers/types.ts, KeyIssuer). Each issuer's
// *.contract.test.ts calls `keyIssuerContract` with a factory for an issuer whose principal has no key.
// Secrets are compared by fingerprint or equality only, so a failing assertion never prints one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import type { IssuerOp, KeyIssuer } from '../../src/providers/types.js';

export interface IssuerUnderTest {
  issuer: KeyIssuer;
  cleanup?(): Promise<void>;
}

const OPS: IssuerOp[] = ['list', 'create', 'verify', 'lastUsed', 'deactivate', 'reactivate', 'delete'];
const status = async (issuer: KeyIssuer, id: string) => (await issuer.list()).find((k) => k.id === id)?.status ?? 'gone';

export function keyIssuerContract(name: string, factory: () => Promise<IssuerUnderTest>): void {
  describe(`KeyIssuer contract: ${name}`, () => {
    let t: IssuerUnderTest;
    beforeEach(async () => {
      t = await factory();
    });
    afterEach(async () => {
      await t?.cleanup?.();
    });

    it('starts with no key and lists a created key as active, with its creation time', async () => {
      expect(await t.issuer.list()).toEqual([]);
      const before = Date.now();
      const key = await t.issuer.create();
      const listed = await t.issuer.list();
      expect(listed.map((k) => [k.id, k.status])).toEqual([[key.keyId, 'active']]);
      expect(listed[0]!.createdAt.getTime()).toBeGreaterThan(before - 60_000);
      expect(key.secret.length).toBeGreaterThanOrEqual(16);
    });

    it('mints a different id and secret each time', async () => {
      const a = await t.issuer.create();
      const b = await t.issuer.create();
      expect(a.keyId).not.toBe(b.keyId);
      expect(a.secret === b.secret).toBe(false);
    });

    it('refuses a key beyond maxKeys and leaves the others as they were', async () => {
      const made = [];
      for (let i = 0; i < t.issuer.maxKeys; i++) made.push((await t.issuer.create()).keyId);
      await expect(t.issuer.create()).rejects.toBeInstanceOf(Error);
      expect((await t.issuer.list()).map((k) => k.id).sort()).toEqual(made.sort());
    });

    it('verifies the new credential, and refuses a wrong secret with verify-failed and no secret in the message', async () => {
      const key = await t.issuer.create();
      await t.issuer.verify(key);
      const wrong = { keyId: key.keyId, secret: `${key.secret.slice(0, -4)}AAAA` };
      const error = await t.issuer.verify(wrong).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KeyrotError);
      expect((error as KeyrotError).code).toBe('verify-failed');
      const text = `${(error as KeyrotError).message} ${(error as KeyrotError).hint}`;
      expect(text.includes(key.secret) || text.includes(wrong.secret)).toBe(false);
    });

    it('deactivates and reactivates, each idempotent; or declares it cannot, and then refuses and says so', async () => {
      const { keyId } = await t.issuer.create();
      if (t.issuer.deactivates === false) {
        await expect(t.issuer.deactivate(keyId)).rejects.toBeInstanceOf(KeyrotError);
        expect(await status(t.issuer, keyId)).toBe('active');
        expect(t.issuer.explain('deactivate')).toMatch(/cannot deactivate/);
        return;
      }
      await t.issuer.deactivate(keyId);
      await t.issuer.deactivate(keyId);
      expect(await status(t.issuer, keyId)).toBe('inactive');
      await t.issuer.reactivate(keyId);
      await t.issuer.reactivate(keyId);
      expect(await status(t.issuer, keyId)).toBe('active');
    });

    it('deletes, and deleting a key already gone succeeds (a cut-short delete is redone)', async () => {
      const { keyId } = await t.issuer.create();
      const other = await t.issuer.create();
      await t.issuer.delete(keyId);
      await t.issuer.delete(keyId);
      expect((await t.issuer.list()).map((k) => k.id)).toEqual([other.keyId]);
    });

    it('reports a fresh key as never used (a database: no session connected), or says it does not report use', async () => {
      const { keyId } = await t.issuer.create();
      const use = await t.issuer.lastUsed(keyId);
      const seen = use.reported === 'sessions' ? use.sessions : use.reported ? use.at : 'not reported';
      expect(seen).toSatisfy((v) => v === null || v === 0 || v === 'not reported');
    });

    it('explains the call behind every operation, for dry runs', () => {
      for (const op of OPS) expect(t.issuer.explain(op), op).toMatch(/\w/);
    });
  });
}
