// The one place that knows every provider type and where its implementation is: each is imported
// (with its SDK) only when a plan uses it. Their plan schemas are in schemas.ts, loaded only to parse a
// plan: a run whose plans come from the plan cache (plan/cache.ts) builds none of them (issue 27).
import type { IssuerTraits, KeyIssuer, ProviderContext, SecretStore, StoreTraits } from './types.js';
import { awsIamKeysHeld } from './issuers/aws-iam/owner.js';
import type { IssuerConfig, StoreConfig } from './schemas.js';
import type { UsageSource } from './usage/source.js';
import type { UsageConfig } from './usage/schema.js';

export type { IssuerConfig, StoreConfig } from './schemas.js';

/** The factory of a type's providers, from its module: `config` is the plan's section, as its schema gave it. */
type Factory<C, T> = () => Promise<(config: C, ctx: ProviderContext) => T | Promise<T>>;

interface Entry<C, T, Traits = StoreTraits> {
  load: Factory<C, T>;
  /** Known before a provider is built (keyrot validate builds none). */
  traits?: Traits;
}

/** `load` run once: each plan's provider is built through it (10,000 plans, each an import() to resolve again). */
const once = <F>(load: () => Promise<F>): (() => Promise<F>) => {
  let loaded: Promise<F> | undefined;
  return () => (loaded ??= load());
};

const entry = <C, T, Traits = StoreTraits>(load: Factory<C, T>, traits?: Traits): Entry<C, T, Traits> => ({ load: once(load), traits });

/**
 * Which leaked keys an issuer could hold, for revoke's owner search, known without building it:
 * `keyIds` the form of its key ids (an id of another form is never asked about); `fingerprints`
 * where its keys' fingerprints are, by which a leaked secret is traced: 'ledger' (the plan's key
 * ledger in keyrot's state, read without asking the provider), 'list' (its list of keys carries
 * them), or false (it has none: a secret alone is never asked of it).
 */
export interface KeysHeld {
  keyIds?: RegExp;
  fingerprints: 'ledger' | 'list' | false;
  /** For an issuer that can name a key id's holder (KeyIssuer.owner): the account a plan's keys are in
   *  and the principal holding them, from the plan's settings alone (the same as its built issuer's). */
  owner?: (config: never, env: NodeJS.ProcessEnv) => KeyOwner;
}

/** Whose keys a plan's are: `scope` the account (one "who holds this id?" call answers for all of it), `principal` the holder. */
export interface KeyOwner {
  scope: string;
  principal: string;
}

/** An issuer's entry, with what keys it could hold where it is narrower than "any id, fingerprints in its list". */
const issuerEntry = <C>(load: Factory<C, KeyIssuer>, holds?: Partial<KeysHeld>, traits?: IssuerTraits) =>
  ({ ...entry<C, KeyIssuer, IssuerTraits>(load, traits), holds });

// `satisfies`: a type with a schema (schemas.ts) and no entry here, or the reverse, does not compile.
export const issuers = {
  generated: issuerEntry(async () => (await import('./issuers/generated/issuer.js')).createGeneratedIssuer, { fingerprints: 'ledger' }, { keysInLedger: true }),
  'aws-iam': issuerEntry(async () => (await import('./issuers/aws-iam/issuer.js')).createAwsIamIssuer, awsIamKeysHeld),
  http: issuerEntry(async () => (await import('./issuers/http/issuer.js')).createHttpIssuer, { fingerprints: 'ledger' }),
  postgresql: entry(async () => (await import('./issuers/postgresql/issuer.js')).createPostgresqlIssuer),
  mysql: entry(async () => (await import('./issuers/mysql/issuer.js')).createMysqlIssuer),
  redis: entry(async () => (await import('./issuers/redis/issuer.js')).createRedisIssuer),
} satisfies Record<IssuerConfig['type'], unknown>;

export const stores = {
  file: entry(async () => (await import('./stores/file/store.js')).createFileStore),
  'vault-kv2': entry(async () => (await import('./stores/vault-kv2/store.js')).createVaultKv2Store),
  'azure-keyvault': entry(async () => (await import('./stores/azure-keyvault/store.js')).createAzureKeyVaultStore),
  'aws-secrets-manager': entry(async () => (await import('./stores/aws-secrets-manager/store.js')).createAwsSecretsManagerStore, { keepsRetired: true }),
  'aws-ssm': entry(async () => (await import('./stores/aws-ssm/store.js')).createAwsSsmStore, { keepsRetired: true }),
  'github-actions': entry(async () => (await import('./stores/github-actions/store.js')).createGithubActionsStore, { writeOnly: true, singleValue: true }),
  'gitlab-ci': entry(async () => (await import('./stores/gitlab-ci/store.js')).createGitlabCiStore, { singleValue: true }),
} satisfies Record<StoreConfig['type'], unknown>;

/** Evidence of use from outside the issuer: the plan's `usage` block. */
export const usageSources = {
  prometheus: entry(async () => (await import('./usage/prometheus.js')).createPrometheusUsage),
  http: entry(async () => (await import('./usage/http.js')).createHttpUsage),
};

/** What a store type can do, before any store is built. */
export const storeTraits = (type: StoreConfig['type']): StoreTraits => (stores[type] as { traits?: StoreTraits }).traits ?? {};

/** What an issuer type is, before any issuer is built. */
export const issuerTraits = (type: IssuerConfig['type']): IssuerTraits => (issuers[type] as { traits?: IssuerTraits }).traits ?? {};

/** The store types that keep a retired key's secret (readRetired), for messages. */
export const keepingTypes = (): string[] => Object.keys(stores).filter((type) => storeTraits(type as StoreConfig['type']).keepsRetired);

/** What a plan's issuer could hold; an issuer that says nothing could hold any id, its list carrying fingerprints. */
export function keysHeldBy(config: IssuerConfig): KeysHeld {
  return { fingerprints: 'list', ...(issuers[config.type] as { holds?: Partial<KeysHeld> }).holds };
}

/** The account and principal of a plan's keys, known without building its issuer; undefined where its issuer cannot say. */
export function keyOwnerOf(config: IssuerConfig, env: NodeJS.ProcessEnv): KeyOwner | undefined {
  const owner = keysHeldBy(config).owner as ((c: IssuerConfig, e: NodeJS.ProcessEnv) => KeyOwner) | undefined;
  return owner?.(config, env);
}

export async function createIssuer(config: IssuerConfig, ctx: ProviderContext): Promise<KeyIssuer> {
  const make = await (issuers[config.type] as Entry<IssuerConfig, KeyIssuer>).load();
  return make(config, ctx);
}

export async function createStore(config: StoreConfig, ctx: ProviderContext): Promise<SecretStore> {
  const make = await (stores[config.type] as Entry<StoreConfig, SecretStore>).load();
  return make(config, ctx);
}

export async function createUsageSource(config: UsageConfig, ctx: ProviderContext): Promise<UsageSource> {
  const make = await (usageSources[config.type] as Entry<UsageConfig, UsageSource>).load();
  return make(config, ctx);
}
