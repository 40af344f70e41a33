// The plan schema's section of every provider type (registry.ts knows the same types with their
// implementations). Loaded only to parse and validate a plan (plan/schema.ts): a run whose plans all
// come from the plan cache builds none of these zod schemas (issue 27).
import type { z } from 'zod';
import { awsIamIssuerSchema } from './issuers/aws-iam/schema.js';
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

const issuerSchemaOf = {
  generated: generatedIssuerSchema,
  'aws-iam': awsIamIssuerSchema,
  http: httpIssuerSchema,
  postgresql: postgresqlIssuerSchema,
  mysql: mysqlIssuerSchema,
  redis: redisIssuerSchema,
};

const storeSchemaOf = {
  file: fileStoreSchema,
  'vault-kv2': vaultKv2StoreSchema,
  'azure-keyvault': azureKeyVaultStoreSchema,
  'aws-secrets-manager': awsSecretsManagerStoreSchema,
  'aws-ssm': awsSsmStoreSchema,
  'github-actions': githubActionsStoreSchema,
  'gitlab-ci': gitlabCiStoreSchema,
};

export type IssuerConfig = z.output<(typeof issuerSchemaOf)[keyof typeof issuerSchemaOf]>;
export type StoreConfig = z.output<(typeof storeSchemaOf)[keyof typeof storeSchemaOf]>;

export const issuerSchemas = () => Object.values(issuerSchemaOf);
export const storeSchemas = () => Object.values(storeSchemaOf);
