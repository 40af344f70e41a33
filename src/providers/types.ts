import type { KeyrotError } from '../errors.js';

// The two provider interfaces. Providers know nothing of phases, state or output:
// the engine calls one method at a time and records what happened.
import type { PlanLedger } from '../state/store.js';

/** A key as the issuer lists it. Never carries the secret. */
export interface KeyInfo {
  id: string;
  status: 'active' | 'inactive';
  createdAt: Date;
  /** The secret's fingerprint, where the issuer records one (generated keys): how a leaked secret is traced. */
  fingerprint?: string;
}

/** A freshly created key. The secret exists only here, in memory, until a store holds it. */
export interface Credential {
  keyId: string;
  secret: string;
}

/**
 * When a key was last used, as the issuer reports it. `at: null` means never used. A database cannot
 * say when a login was last used, only who is connected now: it answers `sessions`, the sessions open
 * now that may be using the key (0: none), and `clients`, where they come from (the engine's session
 * gate, engine/sessions.ts, measures the quiet period itself).
 */
export type LastUse =
  | { reported: true; at: Date | null; service?: string; region?: string }
  | { reported: false }
  | { reported: 'sessions'; sessions: number; clients?: string };

/**
 * One finding of `keyrot doctor`. `skip` is "not checked" (the endpoint cannot answer that question,
 * or the caller may not ask it), said so rather than passed. `warn` does not fail the doctor.
 */
export interface Check {
  /** What was checked: "credentials", "endpoint", "permissions", "key count", "least privilege". */
  check: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  /** What was found: whom the credentials belong to, which capability is missing on which path. */
  detail: string;
  /** For warn and fail: what to do about it. */
  hint?: string;
  /** A failure as the error a run would meet: its message and hint (naming the plan file) replace detail and hint. */
  error?: KeyrotError;
}

/** Operations whose calls `keyrot plan` describes. */
export type IssuerOp = 'list' | 'create' | 'verify' | 'lastUsed' | 'deactivate' | 'reactivate' | 'delete';
export type StoreOp = 'ownership' | 'publish' | 'readBack' | 'onDeactivate' | 'onReactivate' | 'onDelete';

/**
 * Where keys are minted and retired.
 *
 * Every implementation guarantees:
 * - `create` returns the secret exactly once; the issuer never stores it where keyrot could read it again.
 * - `deactivate`, `reactivate` and `delete` are idempotent on the target state: deleting a key that is
 *   already gone succeeds, so a delete cut short can simply be redone.
 * - `verify` resolves only when the credential authenticates as the plan's principal; it throws
 *   `KeyrotError('verify-failed')` when it does not, after the issuer's own bounded retry.
 * - Errors are `KeyrotError`s whose messages never contain a secret.
 */
export interface KeyIssuer {
  /** One line for humans: "aws-iam user payments-service". */
  readonly label: string;
  /** How many keys (active or inactive) the principal may hold at once. */
  readonly maxKeys: number;
  /** False where the issuer cannot switch a key off short of deleting it (a vendor without a disable
   *  call): the engine then skips the issuer's deactivate and reactivate (the stores still stop serving
   *  the old key), `plan` and `doctor` say so, and the old key stays valid until it is deleted after the
   *  soak; a revoke deletes a leaked key at once. deactivate() and reactivate() then throw. Default true. */
  readonly deactivates?: boolean;
  list(): Promise<KeyInfo[]>;
  create(): Promise<Credential & { createdAt: Date }>;
  verify(credential: Credential): Promise<void>;
  lastUsed(keyId: string): Promise<LastUse>;
  deactivate(keyId: string): Promise<void>;
  reactivate(keyId: string): Promise<void>;
  /** Resolves 'gone' where the issuer can tell the key was already gone (nothing deleted), so a caller
   *  need not list the keys first to record what happened; an issuer that cannot tell resolves nothing. */
  delete(keyId: string): Promise<void | 'gone'>;
  /** The provider call an operation makes, for dry runs: "iam:CreateAccessKey(UserName=payments)". */
  explain(op: IssuerOp): string;
  /** Where one call names the principal that holds a key id (IAM: GetAccessKeyLastUsed), revoke's owner
   *  search asks it once per `scope` (the account and credentials the answer holds for) instead of
   *  listing every plan's keys. `holderOf` answers the principal, or undefined when none in scope holds it. */
  readonly owner?: { scope: string; principal: string; holderOf(keyId: string): Promise<string | undefined> };
  /** Preflight checks beyond list() (whom the credentials are, permissions, least privilege): read-only;
   *  a failed check is a finding, not a throw. Without it, doctor checks that list() answers. */
  doctor?(): Promise<Check[]>;
  /** Where a key's login holds sessions that outlive its deactivation (a database login): what a revoke
   *  does about them (see OpenSessions). Without it, a key opens no session that outlives it. */
  readonly openSessions?: OpenSessions;
}

/**
 * Sessions a deactivated key leaves open: NOLOGIN, ACCOUNT LOCK or a removed Redis password stops new
 * logins only. Only revoke ends them, right after the deactivate: an attacker's open session is what a
 * revoke must end. A planned rotation never does (its session gate waits for them to go), so no
 * consumer is cut off by one.
 */
export interface OpenSessions {
  /** For `keyrot plan`: the call that ends them, or why they are left open. */
  readonly explain: string;
  /** Ends every session open now with the key, never keyrot's own connection, and never one that may be
   *  using another key: none when the login holds another key now (the next rotation's password). Throws
   *  `KeyrotError('db-sessions-not-ended')` when keyrot's login may not (its hint names the grant). Absent
   *  where the issuer cannot tell them apart at all: the revoke then says they were left open, and why. */
  end?(keyId: string): Promise<SessionsEnded>;
  /** Set where one login holds every key (Redis: one ACL user, several passwords), so a session cannot be
   *  told to be a given key's: why. A revoke then ends sessions only by what keyrot knows of the keys it
   *  stopped itself; for a leaked key found inactive already, they are left open, and it says so. */
  readonly sharedLogin?: string;
}

/** What ending a revoked key's sessions did. */
export interface SessionsEnded {
  ended: number;
  /** Sessions that may be the revoked key's but cannot be told from the replacement's (Redis: opened
   *  after the replacement's password was added, while both worked): left open, with why. */
  leftOpen?: { count: number; why: string };
}

/** What a retire hook did: 'changed' (or nothing returned) when it changed the store, 'unchanged' when it
 *  found nothing of the key left to change. */
export type RetireResult = 'changed' | 'unchanged' | void;

/** What a store says about the secret it would overwrite. */
export type Ownership =
  | { state: 'absent' }
  | { state: 'managed'; plan?: string; keyId?: string }
  | { state: 'unmanaged'; detail: string };

export interface PublishContext {
  plan: string;
  rotationId: string;
  rotatedAt: Date;
}

/** What a write-only store recorded when it last wrote there: never the secret, only its key id and fingerprint. */
export interface Written {
  keyId: string;
  fingerprint: string;
}

/**
 * The capability of a store keyrot can write but never read (GitHub Actions secrets). What verify may
 * then prove is that the store's own metadata (its `updated_at`) still shows keyrot's last write: the
 * key id and fingerprint keyrot recorded writing, unchanged by anyone since. Not that the value is right.
 */
export interface WriteOnly {
  /** Why the value cannot be read back, for `keyrot plan` and doctor: "GitHub never returns a secret's value". */
  readonly reason: string;
  /** What keyrot last wrote, vouched for by the store's metadata; `{ keyId: 'unknown', ... }` when someone
   *  wrote after keyrot did (the metadata moved), undefined when nothing is there. */
  written(): Promise<Written | undefined>;
}

/**
 * Where consumers read the credential.
 *
 * Every implementation guarantees:
 * - `publish` is idempotent: publishing the credential that is already current changes nothing.
 * - `publish` refuses to overwrite a secret keyrot does not manage unless the plan set `adopt: true`
 *   (it throws `KeyrotError('store-unmanaged')`), and detects a concurrent writer where the store can.
 * - `readBack` returns exactly what consumers would read now (key id + secret), or undefined.
 * - The retire hooks take the *old* key id and are idempotent: `onDeactivate` stops serving it,
 *   `onReactivate` serves it again (rollback), `onDelete` removes every copy of its secret. Each
 *   resolves to 'unchanged' when it found nothing of that key to change (already done by a run that
 *   died before recording it, or never there), so the audit log records only what happened.
 * - Errors are `KeyrotError`s whose messages never contain a secret.
 * - A write-only store (`writeOnly` set) resolves readBack() to undefined, always; the engine compares
 *   `writeOnly.written()` instead.
 * - A store that holds one value and keeps no older one (`singleValue` set: GitHub Actions secrets, GitLab
 *   CI/CD variables) has nothing to serve again on a rollback: the engine publishes the old key there again
 *   from another target's `readRetired` instead of calling its onReactivate. Its retire hooks cannot remove
 *   what it holds but by publishing over it.
 */
export interface SecretStore {
  /** One line for humans: "file rotation-plans/.demo/api-keys.json". */
  readonly label: string;
  ownership(): Promise<Ownership>;
  publish(credential: Credential, context: PublishContext): Promise<void>;
  readBack(): Promise<Credential | undefined>;
  onDeactivate(oldKeyId: string): Promise<RetireResult>;
  onReactivate(oldKeyId: string): Promise<RetireResult>;
  onDelete(oldKeyId: string): Promise<RetireResult>;
  explain(op: StoreOp): string;
  /** Preflight checks (credentials, endpoint, permissions on everything the store touches): read-only;
   *  a failed check is a finding, not a throw. Without it, doctor checks that ownership() answers. */
  doctor?(): Promise<Check[]>;
  /** Set on a store that cannot be read back (see WriteOnly). A write-only store is single-value too. */
  readonly writeOnly?: WriteOnly;
  /** Set on a store that holds one value and keeps no older one: publishing overwrites it (see above). */
  readonly singleValue?: boolean;
  /** On a store that keeps a retired key's secret until onDelete (a prior version): that secret, read for a
   *  rollback that publishes the old key again to a write-only target. Undefined when it no longer has it. */
  readRetired?(keyId: string): Promise<Credential | undefined>;
}

/** What the registry knows of a store type before any is built (`keyrot validate` builds none). */
export interface StoreTraits {
  /** Its stores set `writeOnly`. */
  writeOnly?: boolean;
  /** Its stores set `singleValue`: a rollback needs another target of the plan that keeps the old key. */
  singleValue?: boolean;
  /** Its stores implement `readRetired`. */
  keepsRetired?: boolean;
}

/** What the registry knows of an issuer type before any is built. */
export interface IssuerTraits {
  /** Its key list is the plan's ledger in keyrot's state store (generated): keyrot reads many plans'
   *  ledgers at once (StateStore.peekLedgers) and hands each issuer its own, instead of one read per plan. */
  keysInLedger?: boolean;
}

/** What every provider factory receives besides its own plan section. */
export interface ProviderContext {
  planName: string;
  /** Folder of the plan file: relative paths in a plan resolve against it. */
  planDir: string;
  /** keyrot's state folder, for providers that keep non-secret bookkeeping (the generated issuer). */
  stateDir: string;
  /** The plan's key ledger in keyrot's state store (file or Vault): where the generated issuer keeps its keys. */
  ledger?: PlanLedger;
  env: NodeJS.ProcessEnv;
  /** keyrot's clock (fake in tests), for providers that keep their own timestamps. */
  now(): Date;
  /** Progress a provider wants shown (retries, waits); never a secret. */
  note(message: string): void;
}
