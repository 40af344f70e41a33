import * as z from 'zod';
import { duration } from '../../../shared/duration-field.js';
import { mentionsSecret, unknownPlaceholders } from '../../../shared/template.js';

// GitHub's rules for secret and variable names: letters, digits and _, not starting with a digit or GITHUB_.
const secretName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a secret name: letters, digits and _, not starting with a digit')
  .refine((n) => !/^GITHUB_/i.test(n), 'GitHub reserves names starting with GITHUB_');

export const githubActionsStoreSchema = z
  .strictObject({
    type: z.literal('github-actions'),
    repository: z
      .string()
      .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'OWNER/REPO')
      .optional()
      .describe('a repository secret (or, with `environment`, an environment secret) of OWNER/REPO'),
    environment: z.string().min(1).max(255).optional().describe('an environment of the repository: the secret is that environment\'s'),
    organization: z.string().regex(/^[A-Za-z0-9-]+$/, 'an organization login').optional().describe('an organization secret, instead of `repository`'),
    visibility: z.enum(['private', 'all']).optional().describe('organization secrets: which repositories may use it (default private)'),
    name: secretName.describe('the secret workflows read as ${{ secrets.NAME }}'),
    value: z
      .string()
      .default('{{secret}}')
      .refine(mentionsSecret, 'the value must contain {{secret}}')
      .refine((t) => unknownPlaceholders(t).length === 0, 'only {{keyId}}, {{secret}} and {{rotatedAt}} can be used')
      .describe('the secret value: a template using {{secret}}, {{keyId}}, {{rotatedAt}}'),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .default('GITHUB_TOKEN')
      .describe('the variable holding the token (fine-grained, GitHub App installation, or classic)'),
    apiUrl: z.url({ protocol: /^https?$/ }).default('https://api.github.com').describe('the REST API (GitHub Enterprise Server: https://HOST/api/v3)'),
    adopt: z.boolean().default(false).describe('take over an existing secret keyrot did not write'),
    rollback: z
      .boolean()
      .default(true)
      .describe('on a rollback, publish the old key here again, read from another target of the plan that keeps it; false: leave this target serving the new key'),
    timeout: duration.prefault('30s').describe('per-request timeout'),
    maxRetryWait: duration.prefault('60s').describe('the longest wait for GitHub\'s rate limit to reset before giving up (exit 4)'),
  })
  .refine((c) => (c.repository === undefined) !== (c.organization === undefined), 'set exactly one of `repository` or `organization`')
  .refine((c) => !(c.environment && c.organization), { path: ['environment'], message: 'an environment belongs to a repository: set `repository`, not `organization`' })
  .refine((c) => !(c.visibility && !c.organization), { path: ['visibility'], message: 'visibility is for organization secrets' })
  .describe(
    'a GitHub Actions secret (repository, environment or organization), sealed with the public key GitHub gives; ' +
      'write-only: GitHub never returns a value, so keyrot records what it wrote in an Actions variable KEYROT_<NAME> beside it',
  );

export type GithubActionsStoreConfig = z.output<typeof githubActionsStoreSchema>;

/** The Actions variable beside the secret where keyrot records what it wrote (JSON; never the secret). */
export const markerName = (secret: string): string => `KEYROT_${secret}`;
