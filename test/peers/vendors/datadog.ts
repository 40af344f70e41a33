// A Datadog test server: API keys (v2 Key Management) and the v1 validate call, checked against
// Datadog's published description (specs/datadog-v2.json, specs/datadog-v1.json).
//
// What it reproduces, and where each fact comes from (SPEC = the extract; DOCS = docs.datadoghq.com):
// - Every Key Management call needs DD-API-KEY (any live API key of the org) and DD-APPLICATION-KEY
//   (SPEC security); the application key needs api_keys_read to list and get, api_keys_write to create,
//   api_keys_delete to delete (SPEC x-permission). A refused credential is 403 {"errors": ["Forbidden"]}:
//   the description documents 403, never 401, for these calls.
// - GET /api/v1/validate takes the API key alone and answers {"valid": true} (SPEC).
// - Ids are UUIDs; the secret (`key`, 32 hex digits) is in the create answer only, lists and gets show
//   `last4` (SPEC: FullAPIKey vs PartialAPIKey). date_last_used is reported (SPEC); this server sets it
//   when the key authenticates a call.
// - Lists: page[size] (default 10, at most 100) and page[number] (from 0), sorted by `sort` (default
//   name), `filter` on the name, meta.page.total_filtered_count (SPEC).
// - 429 carries X-RateLimit-Limit/-Period/-Remaining/-Name and X-RateLimit-Reset, the seconds until the
//   limit resets: Datadog's wait hint; no Retry-After (DOCS, API rate limits).
// - At most 50 API keys an org, and key names unique in it (DOCS, API and application keys, as quoted
//   in a public gist; today's page no longer says so); the answers are not documented: 400 here.
// - Keys cannot be disabled, only deleted (SPEC: no status attribute).
import { randomUUID } from 'node:crypto';
import { hex, last4 } from './ids.js';
import { type Answer, type Call, startVendorServer, type VendorServer } from './kit.js';
import { OpenApiSpec } from './openapi.js';

export type DatadogPermission = 'api_keys_read' | 'api_keys_write' | 'api_keys_delete';

export interface DatadogKey {
  id: string;
  name: string;
  key: string;
  createdAt: number;
  modifiedAt: number;
  lastUsedAt?: number;
}

export interface DatadogTestServer extends VendorServer {
  /** The API base URL (https://api.datadoghq.com in production). */
  readonly baseUrl: string;
  /** An org API key (listed among the keys, as the real one is) and an application key with every permission. */
  readonly admin: { apiKey: string; appKey: string };
  /** Change freely: the key limit, and the clock (ms) that created_at, modified_at and date_last_used read. */
  readonly config: { maxKeys: number; now: () => number };
  keys(): DatadogKey[];
  seed(count: number, namePrefix?: string): DatadogKey[];
  /** The application key keeps only these permissions. */
  restrictAdmin(permissions: DatadogPermission[]): void;
  /** The application key is revoked: every Key Management call answers 403. */
  revokeAdmin(): void;
}

const PERMISSION: Record<string, DatadogPermission> = {
  ListAPIKeys: 'api_keys_read', GetAPIKey: 'api_keys_read', CreateAPIKey: 'api_keys_write', DeleteAPIKey: 'api_keys_delete',
};
const USER_ID = '00000000-0000-4000-8000-00000000d0d0';
const SORTS: Record<string, (k: DatadogKey) => string | number> = {
  name: (k) => k.name, created_at: (k) => k.createdAt, modified_at: (k) => k.modifiedAt, last4: (k) => last4(k.key),
};

const error = (status: number, ...errors: string[]): Answer => ({ status, body: { errors } });

export async function startDatadogServer(): Promise<DatadogTestServer> {
  const keys = new Map<string, DatadogKey>();
  const adminAppKey = hex(40);
  let appKeyPermissions = new Set<DatadogPermission | 'revoked'>(['api_keys_read', 'api_keys_write', 'api_keys_delete']);
  const state = { maxKeys: 50, now: () => Date.now() };
  const iso = (ms: number) => new Date(ms).toISOString();

  const addKey = (name: string): DatadogKey => {
    const key: DatadogKey = { id: randomUUID(), name, key: hex(32), createdAt: state.now(), modifiedAt: state.now() };
    keys.set(key.id, key);
    return key;
  };
  const admin = addKey('org admin key');

  const byApiKey = (call: Call) => [...keys.values()].find((k) => k.key === call.headers['dd-api-key']);
  const relationships = { created_by: { data: { id: USER_ID, type: 'users' } }, modified_by: { data: { id: USER_ID, type: 'users' } } };
  const attributes = (k: DatadogKey) => ({
    category: 'default', created_at: iso(k.createdAt), date_last_used: k.lastUsedAt === undefined ? null : iso(k.lastUsedAt),
    last4: last4(k.key), modified_at: iso(k.modifiedAt), name: k.name, remote_config_read_enabled: true,
  });
  const partial = (k: DatadogKey) => ({ type: 'api_keys', id: k.id, attributes: attributes(k), relationships });
  const included = (call: Call) =>
    call.query.get('include')?.split(',').some((i) => i === 'created_by' || i === 'modified_by')
      ? { included: [{ type: 'users', id: USER_ID, attributes: { name: 'keyrot test', handle: 'keyrot@example.com', email: 'keyrot@example.com', status: 'Active' } }] }
      : {};

  function list(call: Call): Answer {
    const size = Number(call.query.get('page[size]') ?? 10);
    const number = Number(call.query.get('page[number]') ?? 0);
    if (!Number.isInteger(size) || size < 1 || size > 100) return error(400, 'page[size] must be between 1 and 100');
    if (!Number.isInteger(number) || number < 0) return error(400, 'page[number] must be 0 or more');
    const sort = call.query.get('sort') ?? 'name';
    const field = SORTS[sort.replace(/^-/, '')]!;
    const filter = call.query.get('filter')?.toLowerCase();
    const from = call.query.get('filter[created_at][start]');
    const to = call.query.get('filter[created_at][end]');
    const found = [...keys.values()]
      .filter((k) => !filter || k.name.toLowerCase().includes(filter) || last4(k.key).toLowerCase().includes(filter))
      .filter((k) => (!from || k.createdAt >= Date.parse(from)) && (!to || k.createdAt <= Date.parse(to)))
      .sort((a, b) => (field(a) < field(b) ? -1 : field(a) > field(b) ? 1 : a.id < b.id ? -1 : 1) * (sort.startsWith('-') ? -1 : 1));
    return {
      status: 200,
      body: { data: found.slice(number * size, (number + 1) * size).map(partial), ...included(call), meta: { max_allowed: state.maxKeys, page: { total_filtered_count: found.length } } },
    };
  }

  const handlers = {
    ListAPIKeys: list,
    CreateAPIKey(call: Call): Answer {
      const { name } = (call.body as { data: { attributes: { name: string } } }).data.attributes;
      if (keys.size >= state.maxKeys) return error(400, `API key limit reached: an organization has at most ${state.maxKeys} API keys`);
      if ([...keys.values()].some((k) => k.name === name)) return error(400, `An API key named ${name} already exists`);
      const k = addKey(name);
      return { status: 201, body: { data: { ...partial(k), attributes: { ...attributes(k), key: k.key } } } };
    },
    GetAPIKey(call: Call): Answer {
      const k = keys.get(call.pathParams.api_key_id!);
      return k ? { status: 200, body: { data: partial(k), ...included(call) } } : error(404, 'API key not found');
    },
    DeleteAPIKey(call: Call): Answer {
      if (!keys.delete(call.pathParams.api_key_id!)) return error(404, 'API key not found');
      return { status: 204 };
    },
    Validate: (): Answer => ({ status: 200, body: { valid: true } }),
  };

  const server = await startVendorServer({
    vendor: 'Datadog',
    specs: [new OpenApiSpec('datadog-v2.json'), new OpenApiSpec('datadog-v1.json')],
    handlers,
    authenticate(call) {
      const apiKey = byApiKey(call);
      if (!apiKey) return error(403, 'Forbidden');
      apiKey.lastUsedAt = state.now();
      if (call.operation.id === 'Validate') return undefined;
      if (call.headers['dd-application-key'] !== adminAppKey || appKeyPermissions.has('revoked')) return error(403, 'Forbidden');
      return appKeyPermissions.has(PERMISSION[call.operation.id]!) ? undefined : error(403, 'Forbidden');
    },
    invalid: (status, problems) => (status === 404 ? error(404, 'Not found') : error(400, ...problems)),
    rateLimited: (seconds) => ({
      ...error(429, 'Too many requests'),
      headers: {
        'x-ratelimit-limit': '60', 'x-ratelimit-period': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-name': 'api_keys',
        ...(seconds === undefined ? {} : { 'x-ratelimit-reset': String(seconds) }),
      },
    }),
    serverError: (status) => error(status, 'Internal Server Error'),
    errorShape: () => '#/components/schemas/APIErrorResponse',
  });

  return Object.assign(server, {
    baseUrl: server.origin,
    admin: { apiKey: admin.key, appKey: adminAppKey },
    config: state,
    keys: () => [...keys.values()].map((k) => ({ ...k })),
    seed: (count: number, namePrefix = 'seeded') => Array.from({ length: count }, (_, i) => ({ ...addKey(`${namePrefix}-${String(i + 1).padStart(3, '0')}`) })),
    restrictAdmin(permissions: DatadogPermission[]) {
      appKeyPermissions = new Set(permissions);
    },
    revokeAdmin() {
      appKeyPermissions = new Set(['revoked']);
    },
  });
}
