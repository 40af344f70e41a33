import * as z from 'zod';
import { duration } from '../../../shared/duration-field.js';
import { CLEARTEXT_REFUSED, safeForCredentials } from '../../../shared/loopback.js';
import { valueChecks, valueFields } from '../secret-value.js';
import { templateUnmaskable } from './masking.js';

export const gitlabCiStoreSchema = z
  .strictObject({
    type: z.literal('gitlab-ci'),
    project: z.string().min(1).optional().describe('a project variable: the project\'s full path (group/project) or numeric ID'),
    group: z.string().min(1).optional().describe('a group variable, instead of `project`: the group\'s full path or numeric ID'),
    key: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,255}$/, 'a variable key: letters, digits and _, up to 255')
      .describe('the variable jobs read as $KEY'),
    ...valueFields,
    environmentScope: z
      .string()
      .min(1)
      .max(255)
      .default('*')
      .describe('project variables: the environments whose jobs get it (* for all, production, review/*)'),
    masked: z.boolean().default(true).describe('hidden in job logs; GitLab masks only values of 8+ characters of A-Z a-z 0-9 _ + = / @ : . ~ -'),
    protected: z.boolean().default(true).describe('passed only to pipelines on protected branches and tags'),
    raw: z.boolean().default(true).describe('the value is used as written: $ is not expanded'),
    url: z.url({ protocol: /^https?$/ }).default('https://gitlab.com').describe('the GitLab instance (self-managed: https://gitlab.example.com); keyrot calls its /api/v4'),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .default('GITLAB_TOKEN')
      .describe('the variable holding the token (a project or group access token, or a personal one), scope api'),
    tokenHeader: z.enum(['private-token', 'bearer']).default('private-token').describe('how the token is sent: PRIVATE-TOKEN header, or Authorization: Bearer (OAuth tokens)'),
    adopt: z.boolean().default(false).describe('take over an existing variable keyrot did not write'),
    rollback: z
      .boolean()
      .default(true)
      .describe('on a rollback, publish the old key here again, read from another target of the plan that keeps it; false: leave this target serving the new key'),
    timeout: duration.prefault('30s').describe('per-request timeout'),
    maxRetryWait: duration.prefault('60s').describe('the longest wait for GitLab\'s rate limit to reset before giving up (exit 4)'),
  })
  .refine((c) => (c.project === undefined) !== (c.group === undefined), 'set exactly one of `project` or `group`')
  .refine(...valueChecks[0])
  .refine(...valueChecks[1])
  // GitLab's description documents no environment filter on a group variable's read or update: with two
  // scopes of one key, keyrot could not tell which it reads.
  .refine((c) => !(c.group && c.environmentScope !== '*'), { path: ['environmentScope'], message: 'environmentScope is for project variables: a group variable is managed with scope * only' })
  .refine((c) => safeForCredentials(c.url), { path: ['url'], message: CLEARTEXT_REFUSED })
  .refine((c) => !(c.masked && c.data), { path: ['masked'], message: 'GitLab cannot mask a JSON value (braces, quotes): use `value`, or set masked: false' })
  .refine((c) => !(c.masked && c.value !== undefined && templateUnmaskable(c.value)), {
    path: ['value'],
    message: 'GitLab cannot mask this value: outside the placeholders, only A-Z a-z 0-9 _ + = / @ : . ~ - (or set masked: false)',
  })
  .describe(
    'a GitLab CI/CD variable of a project (environment scope selectable) or a group, written through the REST API; readable, ' +
      'so verify reads it back; GitLab keeps no older value, so keyrot records which key it wrote in the variable\'s description',
  );

export type GitlabCiStoreConfig = z.output<typeof gitlabCiStoreSchema>;
