import * as z from 'zod';
import { duration } from '../../../shared/duration-field.js';
import { mentionsSecret, unknownPlaceholders } from '../../../shared/template.js';

/** Tags keyrot writes on every version; Azure allows 15 tags per secret version in all. */
export const RESERVED_TAGS = ['managed-by', 'keyrot-plan', 'keyrot-key-id', 'keyrot-replaces'] as const;
const MAX_TAGS = 15 - RESERVED_TAGS.length;

const knownPlaceholders = (t: string) => unknownPlaceholders(t).length === 0;

export const azureKeyVaultStoreSchema = z
  .strictObject({
    type: z.literal('azure-keyvault'),
    vaultUrl: z.url({ protocol: /^https$/ }).describe('the vault, e.g. https://payments-kv.vault.azure.net'),
    name: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,127}$/, 'a Key Vault secret name: 1-127 letters, digits and -')
      .describe('the secret consumers read (its latest version)'),
    value: z
      .string()
      .default('{{secret}}')
      .refine(mentionsSecret, 'the value must contain {{secret}}')
      .refine(knownPlaceholders, 'only {{keyId}}, {{secret}} and {{rotatedAt}} can be used')
      .describe('the secret value: a template using {{secret}}, {{keyId}}, {{rotatedAt}}'),
    contentType: z.string().max(255).optional().describe('content type shown with the secret, e.g. text/plain'),
    tags: z
      .record(z.string().min(1).max(512), z.string().max(256))
      .default({})
      // Tags are metadata that anyone with "list" can read: never the secret.
      .refine((t) => Object.values(t).every((v) => !mentionsSecret(v)), 'tags are readable without access to the value: {{secret}} is not allowed in a tag')
      .refine((t) => Object.values(t).every(knownPlaceholders), 'only {{keyId}} and {{rotatedAt}} can be used in tags')
      .refine((t) => Object.keys(t).length <= MAX_TAGS, `at most ${MAX_TAGS} tags: Azure allows 15 and keyrot writes ${RESERVED_TAGS.join(', ')}`)
      .refine((t) => !RESERVED_TAGS.some((name) => name in t), `the tag names ${RESERVED_TAGS.join(', ')} are keyrot's own`)
      .describe('tags on each version keyrot writes; templates allowed ({{keyId}}, {{rotatedAt}})'),
    expiresIn: duration.optional().describe('set each new version to expire this long after the rotation (expiresOn)'),
    adopt: z.boolean().default(false).describe('take over an existing secret keyrot did not write'),
    purgeOldVersions: z
      .boolean()
      .default(false)
      .refine((v) => !v, 'Key Vault cannot delete one version of a secret, only the whole secret: keyrot leaves the old version disabled instead (see `keyrot schema`)')
      .describe(
        'Key Vault cannot delete or purge a single version of a secret: on delete keyrot leaves the old version disabled ' +
          '(nobody can read its value until someone with secrets/set enables it). Erasing it means deleting and purging the ' +
          'whole secret, which consumers would see as an outage, so keyrot refuses `true`',
      ),
    disableChallengeResourceVerification: z
      .boolean()
      .default(false)
      .describe('accept an authentication challenge for a resource other than the vault host (sovereign clouds, private endpoints, emulators)'),
    timeout: duration.prefault('30s').describe('per-request timeout'),
    tls: z
      .strictObject({ caFile: z.string().min(1).describe('CA bundle (PEM) to trust for this vault only; relative to the plan file') })
      .optional(),
  })
  .describe('an Azure Key Vault secret: each publish is a new version tagged with the key id; credentials from DefaultAzureCredential');

export type AzureKeyVaultStoreConfig = z.output<typeof azureKeyVaultStoreSchema>;
