// Plan values such as "{{keyId}}" or "{{secret}}" are filled in at publish time, in memory only.

export interface TemplateValues {
  keyId: string;
  secret: string;
  rotatedAt: string;
}

/** `username`: the login a database key belongs to, the key id up to its '@' (a database key id is
 *  `<login>@<generation>`, providers/issuers/database/login-key.ts); for other keys, the key id. */
export const TEMPLATE_FIELDS = ['keyId', 'secret', 'rotatedAt', 'username'] as const;

const usernameOf = (keyId: string) => (keyId.lastIndexOf('@') > 0 ? keyId.slice(0, keyId.lastIndexOf('@')) : keyId);
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Anything written as a placeholder, known or not: "{{ key-id }}" and "{{__proto__}}" too. */
const ANY_PLACEHOLDER = /\{\{\s*(.*?)\s*\}\}/g;

/** Names used in a template that keyrot does not know, for plan validation. */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_FIELDS);
  return [...template.matchAll(ANY_PLACEHOLDER)].map((m) => m[1]!).filter((name) => !known.has(name));
}

export function renderTemplate(template: string, values: TemplateValues): string {
  const all: Record<string, string> = { ...values, username: usernameOf(values.keyId) };
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(all, name) ? all[name]! : whole));
}

export const mentionsSecret = (template: string): boolean =>
  [...template.matchAll(PLACEHOLDER)].some((m) => m[1] === 'secret');

/** Whether a template is exactly one placeholder: "{{keyId}}" is exactly keyId. */
export const isExactly = (template: string, name: (typeof TEMPLATE_FIELDS)[number]): boolean =>
  new RegExp(`^\\s*\\{\\{\\s*${name}\\s*\\}\\}\\s*$`).test(template);

/** The {{secret}} part of a value rendered from `template` ("Bearer {{secret}}" -> what follows "Bearer "). */
export function extractSecret(template: string, value: string): string | undefined {
  const pattern = template
    .split(/(\{\{\s*[A-Za-z]+\s*\}\})/)
    .map((part) => (/^\{\{\s*secret\s*\}\}$/.test(part) ? '(.*)' : /^\{\{/.test(part) ? '.*?' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`, 's').exec(value)?.[1];
}
