import { z } from 'zod';
import { duration } from '../../../shared/duration-field.js';
import { mentionsSecret, unknownPlaceholders } from '../../../shared/template.js';

// A Vault path piece: no leading or trailing "/", no empty segments.
const vaultPath = (what: string) =>
  z.string().regex(/^[^/]+(\/[^/]+)*$/, `a ${what} without leading or trailing "/", e.g. payments/aws`);

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

// AppRole ids come from a file or an env var named in the plan, never from the plan itself.
const approle = z
  .strictObject({
    method: z.literal('approle'),
    roleIdFile: z.string().min(1).optional().describe('file holding the role_id; relative to the plan file'),
    roleIdEnv: envName.optional().describe('environment variable holding the role_id'),
    secretIdFile: z.string().min(1).optional().describe('file holding the secret_id; relative to the plan file'),
    secretIdEnv: envName.optional().describe('environment variable holding the secret_id'),
    mount: vaultPath('auth mount').default('approle'),
  })
  .refine((a) => (a.roleIdFile === undefined) !== (a.roleIdEnv === undefined), 'set exactly one of roleIdFile or roleIdEnv')
  .refine((a) => (a.secretIdFile === undefined) !== (a.secretIdEnv === undefined), 'set exactly one of secretIdFile or secretIdEnv');

const kubernetes = z.strictObject({
  method: z.literal('kubernetes'),
  role: z.string().min(1).describe('Vault role bound to this service account'),
  jwtFile: z.string().min(1).default('/var/run/secrets/kubernetes.io/serviceaccount/token').describe('service account token file'),
  mount: vaultPath('auth mount').default('kubernetes'),
});

const token = z.strictObject({ method: z.literal('token') }).describe('VAULT_TOKEN, then ~/.vault-token (as the vault CLI)');

export const vaultKv2Auth = z.discriminatedUnion('method', [token, approle, kubernetes]);

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
export type VaultKv2Auth = z.output<typeof vaultKv2Auth>;
