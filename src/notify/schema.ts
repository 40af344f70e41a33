// The `notify:` entries of a plan: webhooks and commands told about a rotation's outcomes.
import * as z from 'zod';
import { withoutUserinfo } from '../secrets/urls.js';
import { duration } from '../shared/duration-field.js';
import { NOTIFY_OUTCOMES } from './notice.js';

const on = z
  .array(z.enum(NOTIFY_OUTCOMES))
  .min(1)
  .optional()
  .describe(`outcomes to notify about (default: all): ${NOTIFY_OUTCOMES.join(', ')}`);

// Hooks get the event as data (JSON body, KEYROT_* variables), never through templates:
// {{secret}} must not be able to reach a URL or a command line.
const noTemplates = (text: string) => !/\{\{/.test(text);
const noTemplatesMessage = 'templates are not filled in here: a hook receives the event as JSON or KEYROT_* variables';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

// Credentials in a URL end up in every message that quotes it; they belong in a variable.
const noUserinfo = withoutUserinfo;
const noUserinfoMessage = 'a webhook URL may not carry credentials (user:pass@): put it in signingKeyEnv or a header from an env var (headersFromEnv)';

export const webhookSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z
    .url({ protocol: /^https?$/ })
    .refine(noTemplates, noTemplatesMessage)
    .refine(noUserinfo, noUserinfoMessage)
    .describe('receives a JSON POST per event'),
  signingKeyEnv: envName
    .optional()
    .describe('environment variable holding the HMAC key; the body is then signed in X-Keyrot-Signature: sha256=<hex>'),
  headersFromEnv: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name'), envName)
    .optional()
    .describe('extra request headers, each taken from an environment variable: { Authorization: DEPLOY_HOOK_AUTH }'),
  timeout: duration.prefault('10s').describe('per attempt'),
  retries: z.number().int().min(0).max(10).default(3).describe('on network errors, timeouts, 5xx and 429, with exponential backoff'),
  on,
});

export const commandSchema = z.strictObject({
  type: z.literal('command'),
  run: z.string().min(1).refine(noTemplates, noTemplatesMessage).describe('a shell command line, run with /bin/sh -c in the plan folder; the event is in KEYROT_* variables'),
  timeout: duration.prefault('60s').describe('the command is killed after this long'),
  env: z
    .array(envName)
    .optional()
    .describe("keyrot's environment variables the command also gets; by default it has only PATH, HOME and the KEYROT_* event variables"),
  on,
});

export const notifyEntrySchema = z.discriminatedUnion('type', [webhookSchema, commandSchema]);

export type WebhookEntry = z.output<typeof webhookSchema>;
export type CommandEntry = z.output<typeof commandSchema>;
export type NotifyEntry = z.output<typeof notifyEntrySchema>;
