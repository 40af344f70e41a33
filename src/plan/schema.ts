import * as z from 'zod';
import { duration } from '../shared/duration-field.js';
import { keepingTypes, storeTraits } from '../providers/registry.js';
import { issuerSchemas, storeSchemas } from '../providers/schemas.js';
import { healthCheckSchema } from './health-schema.js';
import { notifyEntrySchema } from '../notify/schema.js';
import { usageSchema } from '../providers/usage/schema.js';

const [firstIssuer, ...moreIssuers] = issuerSchemas();
const [firstStore, ...moreStores] = storeSchemas();

export const planSchema = z
  .strictObject({
    apiVersion: z.literal('keyrot/v1'),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -, starting with a letter or digit')
      .describe('unique among the plans that share a state folder'),
    description: z.string().optional(),
    schedule: z
      .strictObject({ maxAge: duration.describe('with --due, rotate only when the active key is older than this') })
      .optional(),
    source: z.discriminatedUnion('type', [firstIssuer!, ...moreIssuers]).describe('the issuer: where keys are minted and retired'),
    publish: z
      .array(z.discriminatedUnion('type', [firstStore!, ...moreStores]))
      .min(1, 'at least one publish target is needed')
      .describe('every target receives the new credential before anything is retired'),
    verify: z.boolean().default(true).describe('prove the new key authenticates before retiring the old one'),
    drain: duration.prefault('15m').describe('overlap window: longer than every consumer cache TTL plus deploy time'),
    lastUsed: z
      .strictObject({
        quietFor: duration.describe('the old key must have been idle this long before it is deactivated'),
        maxWait: duration.describe('hold the rotation (exit 3) if it has not gone quiet by then'),
      })
      .optional(),
    usage: usageSchema.optional(),
    soak: duration.prefault('7d').describe('deactivated (reversible) this long before the permanent delete'),
    healthCheck: healthCheckSchema.optional().describe('probed through the soak; a failure reactivates the old key and holds the rotation'),
    delete: z
      .strictObject({
        requireApproval: z.boolean().default(false).describe('hold before the permanent delete until `keyrot approve <plan>`'),
      })
      .prefault({})
      .describe('the permanent delete of the old key'),
    notify: z.array(notifyEntrySchema).optional().describe('webhooks and commands told about outcomes (published, reload, held, ...)'),
    rehearse: z
      .boolean()
      .default(false)
      .describe('after issuing the first key, rotate it once straight away through every phase, proving the plan end to end'),
  })
  // Without lastUsed the old key would be deactivated without asking the usage source.
  .refine((plan) => !plan.usage || plan.lastUsed, {
    path: ['usage'],
    message: 'a usage source needs lastUsed (quietFor, maxWait) too: it is asked before deactivate over quietFor',
  })
  // A rollback publishes the old key again to a single-value target (GitHub Actions, GitLab CI/CD) from
  // another target that keeps it; without one, say so now rather than at the rollback.
  .superRefine((plan, issues) => {
    const keeper = plan.publish.map((t) => storeTraits(t.type).keepsRetired === true);
    plan.publish.forEach((target, i) => {
      const traits = storeTraits(target.type);
      if (!traits.singleValue || (target as { rollback?: boolean }).rollback === false || keeper.some((k, j) => k && j !== i)) return;
      const why = traits.writeOnly ? 'cannot be read back' : 'keeps no older value';
      issues.addIssue({
        code: 'custom',
        path: ['publish', i, 'rollback'],
        message: `a rollback could not serve the old key here again: ${target.type} ${why}, and no other target of this plan keeps the old key (${keepingTypes().join(', ')} do); add one, or set \`rollback: false\` here to leave this target serving the new key after a rollback`,
      });
    });
  })
  .describe('a keyrot rotation plan');

export type Plan = z.output<typeof planSchema>;

/** The plan JSON Schema, for editors and `keyrot schema`: generated from the zod source. */
export function planJsonSchema(): object {
  return z.toJSONSchema(planSchema, { io: 'input', target: 'draft-2020-12' });
}
