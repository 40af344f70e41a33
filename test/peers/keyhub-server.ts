// Keyhub: a made-up internal key service, the README's worked example of an http issuer plan written
// out in full (rotation-plans/keyhub.yaml). Its small admin API is the shape such services have:
//   POST   /api/v1/service-keys               {name, scopes}  -> 201 {key: {...}, secret}  (the secret only here)
//   GET    /api/v1/service-keys?page&per_page                 -> {keys: [...], next: "/api/v1/…?page=2…" | null}
//   POST   /api/v1/service-keys/{id}/disable | /enable        -> 200 {key}
//   DELETE /api/v1/service-keys/{id}                           -> 204; 404 when gone
//   GET    /api/v1/whoami  (Authorization: Bearer <a service key>) -> 200 {key_id}; 401 if unknown or disabled
// Admin calls take `Authorization: Bearer <admin token>` (401 without; 403 with the read-only token).
// At `limit` keys a create answers 409. Tests inject faults (429, 5xx, stalls, an answer without its
// secret) per call, and read what was asked (never a secret) from `requests`.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from './azure-keyvault-server.js';

export interface ServiceKey {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  enabled: boolean;
  last_used_at: string | null;
  secret: string;
}

export interface Fault {
  method: string;
  /** The request path starts with this. */
  path: string;
  /** Answer this instead of the real thing. */
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Never answer at all (a vendor that hangs), or send the headers and then never the body. */
  hang?: 'before-headers' | 'after-headers';
  /** Let the real handler answer, then change its JSON (drop the secret, rename a field). */
  edit?: (body: Record<string, unknown>) => unknown;
  /** How many requests it applies to (default: every one). */
  times?: number;
}

export interface Keyhub {
  url: string;
  /** PEM of its certificate, with https. */
  ca?: string;
  adminToken: string;
  readOnlyToken: string;
  keys: ServiceKey[];
  limit: number;
  /** Every request: method, path and query, and whose credential (admin, read-only, a key id, none). */
  requests: { method: string; path: string; as: string }[];
  fault(f: Fault): void;
  /** Keys someone else made (not keyrot's), e.g. to fill list pages. */
  seed(count: number, prefix?: string): void;
  /** A consumer sends a request with this key (sets last_used_at). */
  use(keyId: string, at?: Date): void;
  close(): Promise<void>;
}

const json = (res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
};

const view = ({ secret: _secret, ...key }: ServiceKey) => key;

export async function startKeyhub(options: { https?: boolean; limit?: number } = {}): Promise<Keyhub> {
  const tls = options.https ? selfSignedCert() : undefined;
  const faults: Fault[] = [];
  const hub: Omit<Keyhub, 'url' | 'close'> = {
    ...(tls ? { ca: tls.cert } : {}),
    adminToken: `admin-${randomBytes(16).toString('hex')}`,
    readOnlyToken: `ro-${randomBytes(16).toString('hex')}`,
    keys: [],
    limit: options.limit ?? 10,
    requests: [],
    fault: (f) => void faults.push(f),
    seed(count, prefix = 'someone-else') {
      for (let i = 0; i < count; i++) hub.keys.push(newKey(`${prefix}-${i}`, []));
    },
    use(keyId, at = new Date()) {
      const key = hub.keys.find((k) => k.id === keyId);
      if (key) key.last_used_at = at.toISOString();
    },
  };
  const newKey = (name: string, scopes: string[]): ServiceKey => ({
    id: `sk_${randomUUID().slice(0, 8)}`, name, scopes, created_at: new Date().toISOString(), enabled: true, last_used_at: null, secret: `khk_${randomBytes(24).toString('base64url')}`,
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://keyhub');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const byKey = hub.keys.find((k) => k.secret === bearer);
    const as = bearer === hub.adminToken ? 'admin' : bearer === hub.readOnlyToken ? 'read-only' : byKey ? byKey.id : bearer ? 'unknown' : 'none';
    hub.requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, as });

    const fault = faults.find((f) => f.method === req.method && url.pathname.startsWith(f.path) && (f.times === undefined || f.times > 0));
    if (fault?.times !== undefined) fault.times -= 1;
    if (fault?.hang === 'before-headers') return; // never answers
    if (fault?.hang === 'after-headers') return void res.writeHead(200, { 'content-type': 'application/json' }).write('{"keys": [');
    if (fault?.status) return json(res, fault.status, fault.body, fault.headers);
    const answer = (status: number, value?: unknown) => json(res, status, fault?.edit && value ? fault.edit(value as Record<string, unknown>) : value);

    if (url.pathname === '/api/v1/whoami' && req.method === 'GET') {
      if (!byKey?.enabled) return answer(401, { error: 'unauthenticated' });
      byKey.last_used_at = new Date().toISOString();
      return answer(200, { key_id: byKey.id });
    }
    if (as === 'none' || as === 'unknown' || !(as === 'admin' || as === 'read-only')) return answer(401, { error: 'unauthenticated' });
    const m = /^\/api\/v1\/service-keys(?:\/([\w-]+)(?:\/(disable|enable))?)?$/.exec(url.pathname);
    if (!m) return answer(404, { error: 'no such route' });
    const [, id, action] = m;
    if (req.method === 'GET' && !id) {
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 20), 100);
      const page = Number(url.searchParams.get('page') ?? 1);
      const slice = hub.keys.slice((page - 1) * perPage, page * perPage).map(view);
      const more = page * perPage < hub.keys.length;
      return answer(200, { keys: slice, next: more ? `/api/v1/service-keys?page=${page + 1}&per_page=${perPage}` : null });
    }
    if (as === 'read-only') return answer(403, { error: 'forbidden', required: 'keys:write' });
    if (req.method === 'POST' && !id) {
      const input = JSON.parse(body || '{}') as { name?: string; scopes?: string[] };
      if (typeof input.name !== 'string' || !input.name) return answer(400, { error: 'name is required' });
      if (hub.keys.length >= hub.limit) return answer(409, { error: 'key limit reached', limit: hub.limit });
      const key = newKey(input.name, input.scopes ?? []);
      hub.keys.push(key);
      return answer(201, { key: view(key), secret: key.secret });
    }
    const key = hub.keys.find((k) => k.id === id);
    if (!key) return answer(404, { error: 'no such key' });
    if (req.method === 'POST' && action) {
      key.enabled = action === 'enable';
      return answer(200, { key: view(key) });
    }
    if (req.method === 'DELETE' && !action) {
      hub.keys = hub.keys.filter((k) => k !== key);
      return answer(204);
    }
    return answer(405, { error: 'method not allowed' });
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => void handle(req, res, body).catch((e: unknown) => json(res, 500, { error: String(e) })));
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(hub, {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  }) as Keyhub;
}
