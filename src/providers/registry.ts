// The one place that knows every provider type. Schemas are light and loaded with the plan;
// implementations (and their SDKs) are imported only when a plan uses them.
import type { z } from 'zod';
import type { IssuerTraits, KeyIssuer, ProviderContext, SecretStore, StoreTraits } from './types.js';
import { awsIamIssuerSchema, awsIamKeysHeld } from './issuers/aws-iam/schema.js';
import { generatedIssuerSchema } from './issuers/generated/schema.js';
import { httpIssuerSchema } from './issuers/http/schema.js';
import { mysqlIssuerSchema } from './issuers/mysql/schema.js';
import { postgresqlIssuerSchema } from './issuers/postgresql/schema.js';
import { redisIssuerSchema } from './issuers/redis/schema.js';
import { awsSecretsManagerStoreSchema } from './stores/aws-secrets-manager/schema.js';
import { awsSsmStoreSchema } from './stores/aws-ssm/schema.js';
import { githubActionsStoreSchema } from './stores/github-actions/schema.js';
import { gitlabCiStoreSchema } from './stores/gitlab-ci/schema.js';
import { azureKeyVaultStoreSchema } from './stores/azure-keyvault/schema.js';
import { fileStoreSchema } from './stores/file/schema.js';
import { vaultKv2StoreSchema } from './stores/vault-kv2/schema.js';
import type { UsageSource } from './usage/source.js';
import { httpUsageSchema, prometheusUsageSchema, type UsageConfig } from './usage/schema.js';

type Factory<S extends z.ZodType, T> = () => Promise<(config: z.output<S>, ctx: ProviderContext) => T | Promise<T>>;

interface Entry<S extends z.ZodType, T, Traits = StoreTraits> {
  schema: S;
  load: Factory<S, T>;
  /** Known before a provider is built (keyrot validate builds none). */
  traits?: Traits;
}

/** `load` run once: each plan's provider is built through it (10,000 plans, each an import() to resolve again). */
const once = <F>(load: () => Promise<F>): (() => Promise<F>) => {
  let loaded: Promise<F> | undefined;
  return () => (loaded ??= load());
};

const entry = <S extends z.ZodType, T, Traits = StoreTraits>(schema: S, load: Factory<S, T>, traits?: Traits): Entry<S, T, Traits> => ({ schema, load: once(load), traits });

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
const issuerEntry = <S extends z.ZodType>(schema: S, load: Factory<S, KeyIssuer>, holds?: Partial<KeysHeld>, traits?: IssuerTraits) =>
  ({ ...entry<S, KeyIssuer, IssuerTraits>(schema, load, traits), holds });

export const issuers = {
  generated: issuerEntry(generatedIssuerSchema, async () => (await import('./issuers/generated/issuer.js')).createGeneratedIssuer, { fingerprints: 'ledger' }, { keysInLedger: true }),
  'aws-iam': issuerEntry(awsIamIssuerSchema, async () => (await import('./issuers/aws-iam/issuer.js')).createAwsIamIssuer, awsIamKeysHeld),
  http: issuerEntry(httpIssuerSchema, async () => (await import('./issuers/http/issuer.js')).createHttpIssuer, { fingerprints: 'ledger' }),
  postgresql: entry(postgresqlIssuerSchema, async () => (await import('./issuers/postgresql/issuer.js')).createPostgresqlIssuer),
  mysql: entry(mysqlIssuerSchema, async () => (await import('./issuers/mysql/issuer.js')).createMysqlIssuer),
  redis: entry(redisIssuerSchema, async () => (await import('./issuers/redis/issuer.js')).createRedisIssuer),
};

export const stores = {
  file: entry(fileStoreSchema, async () => (await import('./stores/file/store.js')).createFileStore),
  'vault-kv2': entry(vaultKv2StoreSchema, async () => (await import('./stores/vault-kv2/store.js')).createVaultKv2Store),
  'azure-keyvault': entry(azureKeyVaultStoreSchema, async () => (await import('./stores/azure-keyvault/store.js')).createAzureKeyVaultStore),
  'aws-secrets-manager': entry(awsSecretsManagerStoreSchema, async () => (await import('./stores/aws-secrets-manager/store.js')).createAwsSecretsManagerStore, { keepsRetired: true }),
  'aws-ssm': entry(awsSsmStoreSchema, async () => (await import('./stores/aws-ssm/store.js')).createAwsSsmStore, { keepsRetired: true }),
  'github-actions': entry(githubActionsStoreSchema, async () => (await import('./stores/github-actions/store.js')).createGithubActionsStore, { writeOnly: true, singleValue: true }),
  'gitlab-ci': entry(gitlabCiStoreSchema, async () => (await import('./stores/gitlab-ci/store.js')).createGitlabCiStore, { singleValue: true }),
};

/** Evidence of use from outside the issuer: the plan's `usage` block. */
export const usageSources = {
  prometheus: entry(prometheusUsageSchema, async () => (await import('./usage/prometheus.js')).createPrometheusUsage),
  http: entry(httpUsageSchema, async () => (await import('./usage/http.js')).createHttpUsage),
};

export type IssuerConfig = z.output<(typeof issuers)[keyof typeof issuers]['schema']>;
export type StoreConfig = z.output<(typeof stores)[keyof typeof stores]['schema']>;

export const issuerSchemas = () => Object.values(issuers).map((e) => e.schema);
export const storeSchemas = () => Object.values(stores).map((e) => e.schema);

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
  const make = await (issuers[config.type] as Entry<z.ZodType, KeyIssuer>).load();
  return make(config, ctx);
}

export async function createStore(config: StoreConfig, ctx: ProviderContext): Promise<SecretStore> {
  const make = await (stores[config.type] as Entry<z.ZodType, SecretStore>).load();
  return make(config, ctx);
}

export async function createUsageSource(config: UsageConfig, ctx: ProviderContext): Promise<UsageSource> {
  const make = await (usageSources[config.type] as Entry<z.ZodType, UsageSource>).load();
  return make(config, ctx);
}
