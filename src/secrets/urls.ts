// URLs in text we did not write (a library's or a provider's message) may carry credentials:
// user:pass@ in the authority, or a token in the path or query (Slack, Teams webhooks).

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>`]*@/gi;

/** The origin of a URL (scheme, host, port): never its credentials, path or query. */
export function originOf(url: string): string {
  try {
    const u = new URL(url);
    return u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
  } catch {
    return '[url]';
  }
}

/**
 * Scheme, host, port and path of a URL, as written (a `{{keyId}}` placeholder stays readable): never
 * its credentials, query string (`?apikey=…`) or fragment. What a plan's URL is shown as.
 */
export function originAndPath(url: string): string {
  const origin = originOf(url);
  if (origin === '[url]') return origin;
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#][\s\S]*$/, '');
  return origin + (path || '/');
}

/** Whether a URL carries no user:password@ (a credential written where it will be quoted); true for a non-URL. */
export function withoutUserinfo(url: string): boolean {
  try {
    const u = new URL(url);
    return !u.username && !u.password;
  } catch {
    return true; // not a URL: the schema's own URL check says so
  }
}

/** `text` with every URL cut down to its origin: pass any message a library or provider wrote through this. */
export const originOnly = (text: string): string =>
  text.replace(URL_IN_TEXT, (match) => {
    const url = match.replace(/[.,;:!?)\]}]+$/, ''); // punctuation after a URL is the sentence's
    return originOf(url) + match.slice(url.length);
  });

/** `text` with the user:password@ part of every URL masked; the output filter applies it to everything. */
export const maskUserinfo = (text: string): string => text.replace(USERINFO, '$1[redacted]@');
