// The plan's `usage` block: where evidence that a key is still in use comes from, for the gates
// before deactivate and before delete. Credentials come from environment variables named here.
import * as z from 'zod';
import { duration } from '../../shared/duration-field.js';
import { withoutUserinfo } from '../../secrets/urls.js';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

const auth = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('bearer'), tokenEnv: envName.describe('environment variable holding the bearer token') }),
    z.strictObject({
      type: z.literal('basic'),
      username: z.string().min(1).describe('the user name (not a secret)'),
      passwordEnv: envName.describe('environment variable holding the password'),
    }),
  ])
  .describe('credentials for the usage endpoint, from environment variables (never written in the plan)');

const common = {
  auth: auth.optional(),
  tls: z
    .strictObject({ caFile: z.string().min(1).describe('CA bundle (PEM) to trust for this endpoint only; relative to the plan file') })
    .optional(),
  timeout: duration.prefault('10s').describe('a question that gets no answer in this time has no answer: the gate holds'),
  interval: duration.prefault('1m').describe('while waiting for the old key to go quiet, ask again this often'),
};

// user:pass@ in a URL would be a credential written in the plan.
const noUserinfo = withoutUserinfo;
const noUserinfoMessage = 'the URL may not carry credentials (user:pass@): use auth, whose secret comes from an environment variable';

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(.*?)\s*\}\}/g)].map((m) => m[1]!);
const only = (names: string[]) => (text: string) => placeholders(text).every((n) => names.includes(n));
const has = (name: string) => (text: string) => placeholders(text).includes(name);

export const prometheusUsageSchema = z.strictObject({
  type: z.literal('prometheus'),
  url: z.url({ protocol: /^https?$/ }).refine(noUserinfo, noUserinfoMessage).describe('the Prometheus server, e.g. http://prometheus:9090'),
  query: z
    .string()
    .min(1)
    .refine(has('keyId'), 'the query must name the key: {{keyId}}')
    .refine(has('window'), 'the query must count over the window keyrot asks about: [{{window}}]')
    .refine(only(['keyId', 'window']), 'only {{keyId}} and {{window}} can be used in the query')
    .describe('PromQL giving the number of requests made with {{keyId}} in the last {{window}}, e.g. sum(increase(api_requests_total{key_id="{{keyId}}"}[{{window}}]))'),
  ...common,
});

export const httpUsageSchema = z.strictObject({
  type: z.literal('http'),
  url: z
    .url({ protocol: /^https?$/ })
    .refine(noUserinfo, noUserinfoMessage)
    .refine(has('keyId'), 'the URL must name the key: {{keyId}}')
    .refine(only(['keyId']), 'only {{keyId}} can be used in the URL')
    .describe('GET this URL (with {{keyId}} filled in); it answers JSON {"lastUsedAt": "<ISO 8601 date and time with a zone>"} or {"lastUsedAt": null}'),
  ...common,
});

export const usageSchema = z
  .discriminatedUnion('type', [prometheusUsageSchema, httpUsageSchema])
  .describe('evidence of use from outside the issuer: the gates before deactivate and delete ask it whether the old key is still used');

export type UsageConfig = z.output<typeof usageSchema>;
export type PrometheusUsageConfig = z.output<typeof prometheusUsageSchema>;
export type HttpUsageConfig = z.output<typeof httpUsageSchema>;
