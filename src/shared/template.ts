// Plan values such as "{{keyId}}" or "{{secret}}" are filled in at publish time, in memory only.

export interface TemplateValues {
  keyId: string;
  secret: string;
  rotatedAt: string;
}

export const TEMPLATE_FIELDS = ['keyId', 'secret', 'rotatedAt'] as const;
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Anything written as a placeholder, known or not: "{{ key-id }}" and "{{__proto__}}" too. */
const ANY_PLACEHOLDER = /\{\{\s*(.*?)\s*\}\}/g;

/** Names used in a template that keyrot does not know, for plan validation. */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_FIELDS);
  return [...template.matchAll(ANY_PLACEHOLDER)].map((m) => m[1]!).filter((name) => !known.has(name));
}

export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name as keyof TemplateValues] : whole,
  );
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
