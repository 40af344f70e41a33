import * as z from 'zod';
import { duration } from '../../../shared/duration-field.js';
import { mentionsSecret, unknownPlaceholders } from '../../../shared/template.js';
import { vaultAuth, vaultPath } from '../../../vault/schema.js';

// The auth section is the shared Vault one (src/vault/schema.ts): the state backend logs in the same way.
export const vaultKv2Auth = vaultAuth;

export const vaultKv2StoreSchema = z
  .strictObject({
    type: z.literal('vault-kv2'),
    address: z.url({ protocol: /^https?$/ }).optional().describe('Vault address; default VAULT_ADDR'),
    namespace: z.string().min(1).optional().describe('Vault Enterprise namespace; default VAULT_NAMESPACE'),
    mount: vaultPath('mount path').default('secret').describe('where the KV v2 engine is mounted'),
    path: vaultPath('secret path').describe('the secret, under the mount'),
    data: z
      .record(z.string().min(1), z.string())
      .refine((d) => Object.values(d).some(mentionsSecret), 'one field must contain {{secret}}')
      .refine((d) => Object.values(d).every((t) => unknownPlaceholders(t).length === 0), 'only {{keyId}}, {{secret}} and {{rotatedAt}} can be used')
      .describe('the fields consumers read: field -> template using {{keyId}}, {{secret}}, {{rotatedAt}}'),
    auth: vaultKv2Auth.default({ method: 'token' }),
    tls: z
      .strictObject({
        caFile: z.string().min(1).optional().describe('CA bundle (PEM) to trust; default VAULT_CACERT'),
        skipVerify: z.boolean().default(false).describe('do not verify the server certificate (testing only; warns)'),
      })
      .optional(),
    timeout: duration.prefault('30s').describe('per-request timeout'),
    adopt: z.boolean().default(false).describe('take over an existing secret keyrot did not write'),
    destroyOldVersions: z
      .boolean()
      .default(true)
      .describe('on delete, destroy the versions that held the retired secret (otherwise they stay soft-deleted)'),
  })
  .describe('a HashiCorp Vault KV version 2 secret, written with check-and-set and marked in custom_metadata');

export type VaultKv2StoreConfig = z.output<typeof vaultKv2StoreSchema>;
export type { VaultAuth as VaultKv2Auth } from '../../../vault/schema.js';
