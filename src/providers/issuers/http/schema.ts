// The plan's `source: { type: http }`: a vendor's key API described as data, or a preset's with the
// plan's values. Validation merges the preset in (resolve.ts) and checks the whole, so a missing
// call, an unknown placeholder or a credential-free http:// to another host is caught by `validate`.
import * as z from 'zod';
import { duration } from '../../../shared/duration-field.js';
import { adminAuthSchema } from './auth-schema.js';
import { callsSchema } from './calls-schema.js';
import { PRESET_NAMES } from './presets/index.js';
import { checkResolved, resolve } from './resolve.js';

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

export const httpSourceFields = {
  type: z.literal('http'),
  preset: z.enum(PRESET_NAMES).optional().describe('fill the calls for a known vendor; the plan adds values and credentials'),
  vendor: z.string().min(1).max(60).optional().describe('the vendor\'s name in messages, e.g. "Acme key service"'),
  baseUrl: z.url({ protocol: /^https?$/ }).optional().describe('the admin API; http:// only for a loopback address'),
  auth: adminAuthSchema.optional(),
  tls: z.strictObject({ caFile: z.string().min(1).describe('a CA bundle (PEM) to trust besides the system\'s; relative to the plan') }).optional(),
  timeout: duration.prefault('30s').describe('per request: the whole answer, a body that stalls after its headers included'),
  connectTimeout: duration.prefault('5s').describe('how long to wait for a connection'),
  verifyTimeout: duration.prefault('60s').describe('how long verify retries while the vendor propagates the new key'),
  attempts: z.int().min(1).max(10).default(5).describe('attempts per call on 429, 5xx and network errors (a create is retried only on 429)'),
  maxRetryWait: duration.prefault('60s').describe('the longest Retry-After keyrot waits; a longer one gives up at once'),
  rateLimitHeader: z
    .strictObject({
      name: z.string().min(1).describe('e.g. X-RateLimit-Reset'),
      format: z.enum(['seconds', 'epoch-seconds', 'duration']).describe('seconds to wait, a Unix time, or a duration such as 6m0s'),
    })
    .optional()
    .describe('a vendor header saying when to retry, besides Retry-After'),
  forbiddenMeans: z
    .enum(['no-permission', 'bad-credential-or-no-permission'])
    .optional()
    .describe('what a 403 tells: the credential lacks a permission, or (Vault, Datadog) it may also be invalid or expired'),
  maxKeys: z.int().min(2).max(100).optional().describe('the most keys keyrot may hold there at once (default 2)'),
  keyName: z.string().min(1).max(200).optional().describe('the new key\'s name ({{name}}); default keyrot-{{plan}}-{{now}}; {{nonce}} adds six random hex digits'),
  marker: z
    .strictObject({
      path: z.string().regex(/^\$/, 'a JSON path').describe('where in a listed key (or its detail) the marker is'),
      prefix: z.string().min(1).optional(),
      equals: z.string().min(1).optional(),
    })
    .refine((m) => (m.prefix === undefined) !== (m.equals === undefined), 'give prefix or equals')
    .optional()
    .describe('what marks a key as this plan\'s: only such keys are listed, counted or touched; default: its name starts with keyrot-{{plan}}-'),
  values: z.record(z.string().regex(/^[A-Za-z][\w]*$/, 'a name of letters, digits and _'), jsonValue).optional().describe('the plan\'s values for templates: {{name}}'),
  calls: callsSchema.optional(),
};

const inputSchema = z.strictObject(httpSourceFields);
export type HttpSourceInput = z.input<typeof inputSchema>;
export type HttpSourceParsed = z.output<typeof inputSchema>;

export const httpIssuerSchema = inputSchema
  .superRefine(checkResolved)
  .transform(resolve)
  .describe('keys at a vendor\'s admin API (create, list, delete over HTTP), described as data or by a preset');

export type HttpIssuerConfig = z.output<typeof httpIssuerSchema>;
