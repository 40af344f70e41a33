// The one contract every SecretStore passes (src/providers/types.ts, SecretStore). Each store's
// *.contract.test.ts calls `secretStoreContract` with a factory for a fresh, empty target.
// Secrets are compared by fingerprint only, so a failing assertion never prints one.
//
// A write-only store (`store.writeOnly`, GitHub Actions secrets) is held to what it can prove and no
// more. It may not read a value back (readBack is undefined, always), so the suite never asks it for a
// secret; what consumers would read is checked through the harness (`holds`: the test server decrypts
// it). What it must do: name, through `writeOnly.written()`, the key id and fingerprint it wrote, stop
// vouching for them once another writer changed the value (its metadata moved), and say why it cannot be
// read back.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import type { MessageCode } from '../../src/messages.js';
import { fingerprint } from '../../src/secrets/fingerprint.js';
import type { Credential, PublishContext, SecretStore, StoreOp } from '../../src/providers/types.js';

export interface StoreUnderTest {
  /** The store on a fresh, empty target, for plan "contract" (the plan name in its ProviderContext). */
  store: SecretStore;
  /** The same target, configured with `adopt: true`. */
  adopting(): SecretStore | Promise<SecretStore>;
  /** Put a secret at the target as a person or another tool would: without keyrot's marker. */
  writeUnmanaged(): Promise<void>;
  /** Whether `secret` can still be read anywhere at the target (any version, any slot). */
  holds(secret: string): Promise<boolean>;
  /** Something that changes whenever the target is written (Vault: its version; a file: its content hash). */
  revision?(): Promise<string>;
  /**
   * Arrange for another writer to change the target between the store's next read and its write;
   * returns the secret that writer writes. Omit where the store cannot detect a concurrent writer.
   */
  interleaveWriter?(): string;
  /** Where interleaveWriter is omitted: another writer overwrites what keyrot published (outside keyrot). */
  writeOver?(): Promise<void>;
  cleanup?(): Promise<void>;
}

export const PLAN = 'contract';

export function newCredential(): Credential {
  return { keyId: `KEY${randomBytes(5).toString('hex').toUpperCase()}`, secret: randomBytes(30).toString('base64url') };
}

/** What a test may print about a credential: its key id and fingerprint. */
export const shown = (c: Credential | undefined): string => (c ? `${c.keyId} ${fingerprint(c.secret)}` : 'nothing');

/** What a store says it serves, by key id and fingerprint: read back, or what a write-only store recorded writing. */
export async function seen(store: SecretStore): Promise<string> {
  if (!store.writeOnly) return shown(await store.readBack());
  const written = await store.writeOnly.written();
  return written ? `${written.keyId} ${written.fingerprint}` : 'nothing';
}

export async function failure(promise: Promise<unknown>): Promise<KeyrotError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof KeyrotError) return e;
    throw new Error(`expected a KeyrotError, got ${e instanceof Error ? e.name : typeof e}`);
  }
  throw new Error('expected a KeyrotError, but it succeeded');
}

const context = (): PublishContext => ({ plan: PLAN, rotationId: `r-${randomBytes(3).toString('hex')}`, rotatedAt: new Date() });
const OPS: StoreOp[] = ['ownership', 'publish', 'readBack', 'onDeactivate', 'onReactivate', 'onDelete'];

export function secretStoreContract(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`SecretStore contract: ${name}`, () => {
    let t: StoreUnderTest;
    beforeEach(async () => {
      t = await factory();
    });
    afterEach(async () => {
      await t?.cleanup?.();
    });

    const code = async (promise: Promise<unknown>): Promise<MessageCode> => (await failure(promise)).code;

    it('an empty target is absent, reads back nothing, and the retire hooks leave it alone', async () => {
      expect(await t.store.ownership()).toEqual({ state: 'absent' });
      expect(await seen(t.store)).toBe('nothing');
      await t.store.onDeactivate('KEYNOTTHERE');
      await t.store.onReactivate('KEYNOTTHERE');
      await t.store.onDelete('KEYNOTTHERE');
      expect(await seen(t.store)).toBe('nothing');
    });

    it('publishes a credential, reads back exactly it, and marks it as managed by the plan', async () => {
      const key = newCredential();
      await t.store.publish(key, context());
      expect(await seen(t.store)).toBe(shown(key));
      expect(await t.holds(key.secret)).toBe(true);
      expect(await t.store.ownership()).toMatchObject({ state: 'managed', plan: PLAN });
      // A readable store gives the secret itself back; a write-only one never does, and says why.
      if (t.store.writeOnly) {
        expect(await t.store.readBack()).toBeUndefined();
        expect(t.store.writeOnly.reason.length).toBeGreaterThan(0);
      } else {
        expect(fingerprint((await t.store.readBack())?.secret ?? '')).toBe(fingerprint(key.secret));
      }
    });

    it('publishing the credential that is already current changes nothing', async () => {
      const key = newCredential();
      await t.store.publish(key, context());
      const before = await t.revision?.();
      await t.store.publish(key, context());
      expect(await t.revision?.()).toBe(before);
      expect(await seen(t.store)).toBe(shown(key));
    });

    it('a rotation replaces the credential consumers read', async () => {
      const [oldKey, newKey] = [newCredential(), newCredential()];
      await t.store.publish(oldKey, context());
      await t.store.publish(newKey, context());
      expect(await seen(t.store)).toBe(shown(newKey));
      expect(await t.store.ownership()).toMatchObject({ state: 'managed', keyId: newKey.keyId });
    });

    it('refuses to overwrite a secret it does not manage, and takes it over with adopt', async () => {
      await t.writeUnmanaged();
      expect((await t.store.ownership()).state).toBe('unmanaged');
      const before = await t.revision?.();
      expect(await code(t.store.publish(newCredential(), context()))).toBe('store-unmanaged');
      expect(await t.revision?.()).toBe(before);

      const key = newCredential();
      await (await t.adopting()).publish(key, context());
      expect(await seen(t.store)).toBe(shown(key));
      expect(await t.store.ownership()).toMatchObject({ state: 'managed', plan: PLAN });
      const next = newCredential();
      await t.store.publish(next, context()); // managed now: no adopt needed
      expect(await seen(t.store)).toBe(shown(next));
    });

    it('detects a concurrent writer, or at least stops vouching for what it wrote once another writer changed it', async () => {
      if (!t.interleaveWriter) {
        // A store without compare-and-set: the last writer wins, and what the store says it serves must
        // show it, so verify publishes the new key again (a write-only store: its metadata moved).
        if (!t.writeOver) throw new Error('the harness gives neither interleaveWriter nor writeOver');
        const mine = newCredential();
        await t.store.publish(mine, context());
        await t.writeOver();
        expect(await seen(t.store)).not.toBe(shown(mine));
        return;
      }
      await t.store.publish(newCredential(), context());
      const theirs = t.interleaveWriter();
      const mine = newCredential();
      expect(await code(t.store.publish(mine, context()))).toBe('store-conflict');
      expect(fingerprint((await t.store.readBack())?.secret ?? '')).toBe(fingerprint(theirs));
      expect(await t.holds(mine.secret)).toBe(false);
    });

    it('keeps serving the new key through deactivate, reactivate and delete; delete removes the old secret', async () => {
      const [oldKey, newKey] = [newCredential(), newCredential()];
      await t.store.publish(oldKey, context());
      await t.store.publish(newKey, context());
      for (const hook of ['onDeactivate', 'onDeactivate', 'onReactivate', 'onReactivate', 'onDeactivate', 'onDelete', 'onDelete'] as const) {
        await t.store[hook](oldKey.keyId);
        expect(await seen(t.store), `after ${hook}`).toBe(shown(newKey));
      }
      expect(await t.holds(oldKey.secret)).toBe(false);
      expect(await t.holds(newKey.secret)).toBe(true);
    });

    it('explains every operation without showing a secret', async () => {
      const key = newCredential();
      await t.store.publish(key, context());
      for (const op of OPS) {
        const line = t.store.explain(op);
        expect(line.length, op).toBeGreaterThan(0);
        expect(line.includes(key.secret), op).toBe(false);
      }
      expect(t.store.label.length).toBeGreaterThan(0);
    });
  });
}
