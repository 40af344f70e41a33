// How a store's value is written from the plan, for stores whose plan entry says either `data` (a JSON
// object: field -> template) or `value` (one plain-text template): aws-secrets-manager, aws-ssm,
// gitlab-ci. Rendering, and reading back which secret (and key id) a value holds.
import * as z from 'zod';
import type { Credential } from '../types.js';
import { extractSecret, isExactly, mentionsSecret, renderTemplate, unknownPlaceholders } from '../../shared/template.js';

const template = z.string().refine((t) => unknownPlaceholders(t).length === 0, 'only {{keyId}}, {{secret}} and {{rotatedAt}} can be used');

/** The plan fields, for a store's schema. */
export const valueFields = {
  data: z
    .record(z.string().min(1), template)
    .optional()
    .describe('a JSON value: field -> template using {{keyId}}, {{secret}}, {{rotatedAt}}'),
  value: template.optional().describe('a plain-text value: one template, e.g. "{{secret}}"'),
};

export interface ValueShape {
  data?: Record<string, string>;
  value?: string;
}

/** The checks every such schema refines with: exactly one of the two, and a {{secret}} in it. */
export const valueChecks = [
  [(c: ValueShape) => (c.data === undefined) !== (c.value === undefined), 'set exactly one of `data` (a JSON value) or `value` (plain text)'],
  [(c: ValueShape) => (c.value !== undefined ? mentionsSecret(c.value) : Object.values(c.data ?? {}).some(mentionsSecret)), 'one template must contain {{secret}}'],
] as const;

export interface SecretValue {
  render(credential: Credential, rotatedAt: Date): string;
  /** The secret a stored value holds, if it has the plan's shape. */
  secretOf(text: string | undefined): string | undefined;
  /** The key id a stored value names in a field that is exactly {{keyId}}, if the plan has one. */
  keyIdOf(text: string | undefined): string | undefined;
}

export function secretValue(shape: ValueShape): SecretValue {
  const fields = Object.entries(shape.data ?? {});
  // Where the secret sits: the plain value, or the JSON field that is exactly {{secret}} if there is one.
  const [secretField, secretTemplate] = shape.value !== undefined
    ? [undefined, shape.value]
    : (fields.find(([, t]) => isExactly(t, 'secret')) ?? fields.find(([, t]) => mentionsSecret(t))!);
  const keyIdField = fields.find(([, t]) => isExactly(t, 'keyId'))?.[0];

  function parsed(text: string | undefined): Record<string, unknown> | undefined {
    if (text === undefined || secretField === undefined) return undefined;
    try {
      const data = JSON.parse(text) as unknown;
      return data && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
    } catch {
      return undefined; // not JSON: not something keyrot wrote
    }
  }

  return {
    render(credential, rotatedAt) {
      const values = { keyId: credential.keyId, secret: credential.secret, rotatedAt: rotatedAt.toISOString() };
      if (shape.value !== undefined) return renderTemplate(shape.value, values);
      return JSON.stringify(Object.fromEntries(fields.map(([field, t]) => [field, renderTemplate(t, values)])));
    },
    secretOf(text) {
      if (text === undefined) return undefined;
      const found = secretField === undefined ? text : parsed(text)?.[secretField];
      return typeof found === 'string' ? extractSecret(secretTemplate, found) : undefined;
    },
    keyIdOf(text) {
      const found = keyIdField ? parsed(text)?.[keyIdField] : undefined;
      return typeof found === 'string' ? found : undefined;
    },
  };
}
