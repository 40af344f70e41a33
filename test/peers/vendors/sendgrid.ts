// A SendGrid test server: API keys (v3) and the scopes call, checked against Twilio SendGrid's
// published description (specs/sendgrid-api-keys.json, specs/sendgrid-scopes.json).
//
// What it reproduces, and where each fact comes from (SPEC = the extract; DOCS = twilio.com/docs/sendgrid):
// - Bearer API keys (SPEC security). Managing keys takes the api_keys.* scopes: api_keys.read to list
//   and get, api_keys.create, api_keys.delete (DOCS, API key permissions). A missing or unknown key is
//   401 "authorization required" (SPEC example), a key without the scope 403 "access forbidden" (SPEC
//   example).
// - A key is `SG.<api_key_id>.<secret>` (SPEC example: api_key SG.xxxxxxxx.yyyyyyyy has api_key_id
//   xxxxxxxx): the id can be read from the secret. The secret is in the create answer only (SPEC).
// - Create without `scopes` makes a full-access key (SPEC); at most 100 keys, then 403 (SPEC; the
//   message is not documented).
// - The list takes `limit` and nothing else: no offset, no paging (SPEC). At 100 keys at most, one call
//   without a limit returns them all.
// - GET of one key answers `{result: [{api_key_id, name, scopes}]}`, the shape the description gives.
// - A deleted key keeps working for "some small propagation delay" (SPEC): `config.revokeDelayMs`, 0 by
//   default.
// - 429 carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (a Unix time: the wait
//   hint), body "too many requests" (DOCS, rate limits).
// - GET /v3/scopes answers the scopes of the key that calls it: the call that proves a key works.
// - No last-use report, no disable: a key is only deleted.
import { alnum } from './ids.js';
import { type Answer, type Call, startVendorServer, type VendorServer } from './kit.js';
import { OpenApiSpec } from './openapi.js';

export interface SendGridKey {
  id: string;
  name: string;
  secret: string;
  scopes: string[];
  createdAt: number;
  /** Set by a delete: the key still authenticates until then. */
  revokedAt?: number;
}

export interface SendGridTestServer extends VendorServer {
  /** The API base URL (https://api.sendgrid.com in production). */
  readonly baseUrl: string;
  /** A key with the api_keys scopes (a key, listed among the keys, as the real one is). */
  readonly admin: { apiKey: string };
  /** Change freely: the key limit, the propagation delay of a delete, the clock (ms). */
  readonly config: { maxKeys: number; revokeDelayMs: number; now: () => number };
  /** Live keys (not the ones still propagating a delete). */
  keys(): SendGridKey[];
  seed(count: number, namePrefix?: string): SendGridKey[];
  /** The admin key keeps only these scopes. */
  restrictAdmin(scopes: string[]): void;
  /** The admin key is deleted: every call with it answers 401. */
  revokeAdmin(): void;
}

/** What a full-access key of the test account holds. */
const FULL_ACCESS = ['alerts.create', 'alerts.read', 'api_keys.create', 'api_keys.delete', 'api_keys.read', 'api_keys.update', 'mail.send', 'user.profile.read'];
const SCOPE: Record<string, string | undefined> = { ListApiKey: 'api_keys.read', GetApiKey: 'api_keys.read', CreateApiKey: 'api_keys.create', DeleteApiKey: 'api_keys.delete' };
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const error = (status: number, message: string, field: string | null = null, headers?: Record<string, string>): Answer => ({
  status, body: { errors: [{ field, message }] }, ...(headers ? { headers } : {}),
});

export async function startSendGridServer(): Promise<SendGridTestServer> {
  const keys = new Map<string, SendGridKey>();
  const config = { maxKeys: 100, revokeDelayMs: 0, now: () => Date.now() };
  const live = (k: SendGridKey) => k.revokedAt === undefined;
  const authenticates = (k: SendGridKey) => k.revokedAt === undefined || config.now() < k.revokedAt + config.revokeDelayMs;

  const addKey = (name: string, scopes = FULL_ACCESS): SendGridKey => {
    const id = alnum(22, ID_CHARS);
    const key: SendGridKey = { id, name, secret: `SG.${id}.${alnum(43, ID_CHARS)}`, scopes: [...scopes], createdAt: config.now() };
    keys.set(id, key);
    return key;
  };
  const admin = addKey('org admin key', ['api_keys.create', 'api_keys.delete', 'api_keys.read', 'api_keys.update']);
  const caller = (call: Call) => {
    const secret = /^Bearer (.+)$/i.exec(String(call.headers.authorization ?? ''))?.[1];
    const k = keys.get(secret?.split('.')[1] ?? '');
    return k && k.secret === secret && authenticates(k) ? k : undefined;
  };
  const liveKeys = () => [...keys.values()].filter(live).sort((a, b) => a.createdAt - b.createdAt);

  const handlers = {
    ListApiKey(call: Call): Answer {
      const limit = call.query.get('limit');
      const found = liveKeys().slice(0, limit === null ? undefined : Number(limit));
      return { status: 200, body: { result: found.map((k) => ({ api_key_id: k.id, name: k.name })) } };
    },
    CreateApiKey(call: Call): Answer {
      const { name, scopes } = call.body as { name: string; scopes?: string[] };
      if (liveKeys().length >= config.maxKeys) return error(403, `cannot create more than ${config.maxKeys} API keys`);
      const k = addKey(name, scopes ?? FULL_ACCESS);
      return { status: 201, body: { api_key: k.secret, api_key_id: k.id, name: k.name, scopes: k.scopes } };
    },
    GetApiKey(call: Call): Answer {
      const k = keys.get(call.pathParams.api_key_id!);
      return k && live(k) ? { status: 200, body: { result: [{ api_key_id: k.id, name: k.name, scopes: k.scopes }] } } : error(404, 'not found');
    },
    DeleteApiKey(call: Call): Answer {
      const k = keys.get(call.pathParams.api_key_id!);
      if (!k || !live(k)) return error(404, 'not found');
      k.revokedAt = config.now();
      return { status: 204 };
    },
    ListScope: (call: Call): Answer => ({ status: 200, body: { scopes: caller(call)!.scopes } }),
  };

  const server = await startVendorServer({
    vendor: 'SendGrid',
    specs: [new OpenApiSpec('sendgrid-api-keys.json'), new OpenApiSpec('sendgrid-scopes.json')],
    handlers,
    authenticate(call) {
      const k = caller(call);
      if (!k) return error(401, 'authorization required');
      const scope = SCOPE[call.operation.id];
      return scope === undefined || k.scopes.includes(scope) ? undefined : error(403, 'access forbidden');
    },
    invalid: (status, problems) => (status === 404 ? error(404, 'not found') : error(400, problems.join('; '))),
    rateLimited: (seconds) =>
      error(429, 'too many requests', null, {
        'x-ratelimit-limit': '150', 'x-ratelimit-remaining': '0',
        ...(seconds === undefined ? {} : { 'x-ratelimit-reset': String(Math.ceil(config.now() / 1000) + seconds) }),
      }),
    serverError: (status) => ({ status, body: { errors: [{ message: 'internal server error' }] } }),
    errorShape: () => '#/components/schemas/ErrorResponse',
  });

  return Object.assign(server, {
    baseUrl: server.origin,
    admin: { apiKey: admin.secret },
    config,
    keys: () => liveKeys().map((k) => ({ ...k, scopes: [...k.scopes] })),
    seed: (count: number, namePrefix = 'seeded') => Array.from({ length: count }, (_, i) => ({ ...addKey(`${namePrefix}-${String(i + 1).padStart(3, '0')}`) })),
    restrictAdmin(scopes: string[]) {
      admin.scopes = [...scopes];
    },
    revokeAdmin() {
      keys.delete(admin.id);
    },
  });
}
