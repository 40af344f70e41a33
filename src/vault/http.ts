// node-vault's HTTP layer, replaced by a lean one on node:http: one keep-alive agent per connection,
// JSON in and out, nothing logged. node-vault 0.12 sends every call through axios (config merging,
// follow-redirects, a proxy lookup in the environment per request): about a quarter of keyrot's CPU
// in a 1000-plan run against Vault (issue 17). node-vault takes this through its `request-promise` option.
import http from 'node:http';
import https from 'node:https';

/** What node-vault hands its `request-promise` (as `defaults`) and then each call. */
interface Defaults {
  strictSSL?: boolean;
  timeout?: number;
}
interface Call {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  json?: unknown;
}
/** The answer node-vault expects back (a request-promise full response). */
interface Answer {
  statusCode: number;
  body: unknown;
  request: { path: string };
}

/** Redirects followed, as Vault's own client does: a standby that cannot forward answers 307 to the active node. */
const MAX_REDIRECTS = 5;

/**
 * Whether an HTTP proxy is configured in the environment: axios (node-vault's default) honours one,
 * this layer does not, so keyrot keeps node-vault's default then.
 */
export const proxyConfigured = (env: NodeJS.ProcessEnv): boolean =>
  Object.entries(env).some(([name, value]) => /^(https?|all)_proxy$/i.test(name) && Boolean(value));

export function vaultHttp(ca: Buffer | undefined): { defaults(d: Defaults): (call: Call) => Promise<Answer> } {
  return {
    defaults(d) {
      const timeoutMs = d.timeout ?? 0;
      const agents = {
        'http:': new http.Agent({ keepAlive: true }),
        'https:': new https.Agent({ keepAlive: true, rejectUnauthorized: d.strictSSL !== false, ...(ca ? { ca } : {}) }),
      };
      const send = (url: URL, call: Call, body: string | undefined, hops: number): Promise<Answer> =>
        new Promise<Answer>((resolve, reject) => {
          const agent = agents[url.protocol as keyof typeof agents];
          if (!agent) return reject(Object.assign(new Error(`unsupported protocol ${url.protocol}`), { code: 'ERR_INVALID_PROTOCOL' }));
          let timer: NodeJS.Timeout | undefined;
          const headers: Record<string, string | number> = { accept: 'application/json', ...call.headers };
          if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          const request = (url.protocol === 'https:' ? https : http).request(url, { method: call.method, headers, agent }, (response) => {
            const status = response.statusCode ?? 0;
            if ((status === 307 || status === 308) && response.headers.location && hops < MAX_REDIRECTS) {
              response.resume();
              clearTimeout(timer);
              send(new URL(response.headers.location, url), call, body, hops + 1).then(resolve, reject);
              return;
            }
            const chunks: Buffer[] = [];
            response.on('data', (c: Buffer) => chunks.push(c));
            response.on('error', reject);
            response.on('end', () => {
              clearTimeout(timer);
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                if (text) parsed = JSON.parse(text);
              } catch {
                // not JSON: node-vault gets the text, as axios gave it
              }
              resolve({ statusCode: status, body: parsed, request: { path: url.pathname } });
            });
          });
          // The whole call, as axios's timeout; errors.ts reports ETIMEDOUT as a timeout.
          if (timeoutMs > 0) timer = setTimeout(() => request.destroy(Object.assign(new Error(`timeout of ${timeoutMs}ms exceeded`), { code: 'ETIMEDOUT' })), timeoutMs);
          request.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
          request.end(body);
        });
      return (call) => send(new URL(call.uri), call, call.json !== undefined && typeof call.json === 'object' ? JSON.stringify(call.json) : undefined, 0);
    },
  };
}
