// Plan values such as "{{keyId}}" or "{{secret}}" are filled in at publish time, in memory only.

export interface TemplateValues {
  keyId: string;
  secret: string;
  rotatedAt: string;
}

export const TEMPLATE_FIELDS = ['keyId', 'secret', 'rotatedAt'] as const;
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Names used in a template that keyrot does not know, for plan validation. */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_FIELDS);
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !known.has(name));
}

export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    name in values ? values[name as keyof TemplateValues] : whole,
  );
}

export const mentionsSecret = (template: string): boolean =>
  [...template.matchAll(PLACEHOLDER)].some((m) => m[1] === 'secret');
