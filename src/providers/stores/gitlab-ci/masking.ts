// GitLab masks a variable's value in job logs only if the value passes its rule, and refuses to save a
// masked variable whose value does not (400 "value is invalid"). The rule, from GitLab's model
// (app/models/concerns/ci/maskable.rb, REGEX): one line, no spaces, at least 8 characters, each from the
// Base64 alphabet (RFC 4648, both forms) or @ : . ~. keyrot checks it before writing, so a value GitLab
// would refuse is never sent, and says why without showing it.
const ALPHABET = /^[a-zA-Z0-9_+=/@:.~-]*$/;
const MIN_LENGTH = 8;
const PLACEHOLDER = /\{\{\s*[A-Za-z]+\s*\}\}/g;

/** Why GitLab would refuse to mask `value`, in words that never contain it; undefined when it can. */
export function unmaskable(value: string): string | undefined {
  if (!ALPHABET.test(value)) return 'it holds a character GitLab cannot mask: a space, a line break, quotes, braces or another outside A-Z a-z 0-9 _ + = / @ : . ~ -';
  if (value.length < MIN_LENGTH) return `it is ${value.length} characters long; GitLab masks values of ${MIN_LENGTH} or more`;
  return undefined;
}

/** The same rule for a plan's value template, on what the plan itself writes (the text around placeholders). */
export const templateUnmaskable = (template: string): boolean => !ALPHABET.test(template.replace(PLACEHOLDER, ''));
