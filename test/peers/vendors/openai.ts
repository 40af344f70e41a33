// An OpenAI test server: a project's service accounts and their API keys (Administration API) and the
// models list, checked against OpenAI's published description (specs/openai-projects.json).
//
// What it reproduces, and where each fact comes from (SPEC = the extract; DOCS = platform.openai.com/docs):
// - The Administration calls take an Admin API key (SPEC security AdminApiKeyAuth: bearer); GET /models
//   takes the service account's own key (ApiKeyAuth). Errors are {error: {message, type, param, code}}
//   (SPEC ErrorResponse); an unknown key is 401 invalid_api_key, with the key masked in the message
//   (DOCS, error codes).
// - Creating a service account answers its first key, the secret in api_key.value, in that answer only
//   (SPEC); create_service_account_only makes none. One more key for an existing account:
//   POST …/service_accounts/{id}/api_keys (SPEC).
// - A service account's key cannot be deleted on its own: DELETE …/api_keys/{id} answers an error for
//   it (SPEC, "an error if the key belonged to a service account"); deleting the service account deletes
//   its keys. So the rotation unit is the service account: one account per key.
// - The project's key list shows each key's owner (service_account.id), redacted_value and
//   last_used_at (SPEC): the last-use report. This server sets last_used_at when the key calls /models.
// - Lists: limit (1-100, default 20) and after (an object id), answering first_id, last_id, has_more
//   (SPEC); in creation order (not documented).
// - 429 is the TooManyRequests answer: Retry-After (seconds) when a wait is known (SPEC), with the
//   x-ratelimit-*-requests headers (DOCS, rate limits).
// - No disable: a key lives until its service account is deleted.
import { alnum } from './ids.js';
import { type Answer, type Call, startVendorServer, type VendorServer } from './kit.js';
import { OpenApiSpec } from './openapi.js';

export interface OpenAiServiceAccount {
  id: string;
  name: string;
  role: 'member' | 'none';
  createdAt: number;
}

export interface OpenAiKey {
  id: string;
  name: string;
  value: string;
  serviceAccountId: string;
  createdAt: number;
  lastUsedAt?: number;
}

export interface OpenAiTestServer extends VendorServer {
  /** The API base URL (https://api.openai.com/v1 in production). */
  readonly baseUrl: string;
  /** An Admin API key, and the project the tests work in. */
  readonly admin: { apiKey: string; projectId: string };
  /** Change freely: the clock (ms); created_at and last_used_at are its seconds. */
  readonly config: { now: () => number };
  serviceAccounts(): OpenAiServiceAccount[];
  keys(): OpenAiKey[];
  /** Service accounts, each with one key, as creating them through the API makes them. */
  seed(count: number, namePrefix?: string): { serviceAccount: OpenAiServiceAccount; key: OpenAiKey }[];
  /** The Admin key is revoked: every Administration call answers 401. */
  revokeAdmin(): void;
}

const error = (status: number, message: string, type: string, code: string | null, headers?: Record<string, string>): Answer => ({
  status, body: { error: { message, type, param: null, code } }, ...(headers ? { headers } : {}),
});
const KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const mask = (value: string) => `${value.slice(0, 8)}***${value.slice(-4)}`;

export async function startOpenAiServer(): Promise<OpenAiTestServer> {
  const projectId = `proj_${alnum(24)}`;
  let adminKey = `sk-admin-${alnum(48, KEY_CHARS)}`;
  const adminKeyAtStart = adminKey;
  const accounts = new Map<string, OpenAiServiceAccount>();
  const keys = new Map<string, OpenAiKey>();
  const config = { now: () => Date.now() };
  const seconds = (ms: number) => Math.floor(ms / 1000);

  const addKey = (serviceAccountId: string, name = 'Secret Key'): OpenAiKey => {
    const key: OpenAiKey = { id: `key_${alnum(16)}`, name, value: `sk-svcacct-${alnum(64, KEY_CHARS)}`, serviceAccountId, createdAt: config.now() };
    keys.set(key.id, key);
    return key;
  };
  const addAccount = (name: string, withKey: boolean) => {
    const account: OpenAiServiceAccount = { id: `svc_acct_${alnum(24)}`, name, role: withKey ? 'member' : 'none', createdAt: config.now() };
    accounts.set(account.id, account);
    return { account, key: withKey ? addKey(account.id) : undefined };
  };

  const accountView = (a: OpenAiServiceAccount) => ({ object: 'organization.project.service_account', id: a.id, name: a.name, role: a.role, created_at: seconds(a.createdAt) });
  const keyView = (k: OpenAiKey) => ({ object: 'organization.project.service_account.api_key', value: k.value, name: k.name, created_at: seconds(k.createdAt), id: k.id });
  const projectKeyView = (k: OpenAiKey) => {
    const owner = accounts.get(k.serviceAccountId)!;
    return {
      object: 'organization.project.api_key', redacted_value: `${k.value.slice(0, 6)}...${k.value.slice(-4)}`, name: k.name, created_at: seconds(k.createdAt),
      last_used_at: k.lastUsedAt === undefined ? null : seconds(k.lastUsedAt), id: k.id, owner_project_access: 'active',
      owner: { type: 'service_account', service_account: { id: owner.id, name: owner.name, created_at: seconds(owner.createdAt), role: owner.role } },
    };
  };
  /** A cursor page: limit (1-100) items after the object `after` names. */
  function page<T extends { id: string }>(call: Call, items: T[], view: (item: T) => unknown): Answer {
    const limit = Number(call.query.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return error(400, `Invalid 'limit': ${limit}; it must be between 1 and 100.`, 'invalid_request_error', 'invalid_value');
    const after = call.query.get('after');
    const from = after === null ? 0 : items.findIndex((i) => i.id === after) + 1;
    if (from === 0 && after !== null) return error(400, `Invalid 'after': no object ${after} in this list.`, 'invalid_request_error', 'invalid_value');
    const slice = items.slice(from, from + limit);
    return { status: 200, body: { object: 'list', data: slice.map(view), first_id: slice[0]?.id ?? null, last_id: slice.at(-1)?.id ?? null, has_more: from + limit < items.length } };
  }
  const ordered = <T extends { createdAt: number; id: string }>(items: Iterable<T>) => [...items].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  const noAccount = (id: string) => error(404, `No such service account: ${id}`, 'invalid_request_error', null);

  const handlers = {
    'list-project-service-accounts': (call: Call) => page(call, ordered(accounts.values()), accountView),
    'create-project-service-account'(call: Call): Answer {
      const body = call.body as { name: string; create_service_account_only?: boolean | null };
      const { account, key } = addAccount(body.name, body.create_service_account_only !== true);
      return { status: 200, body: { ...accountView(account), api_key: key ? keyView(key) : null } };
    },
    'retrieve-project-service-account'(call: Call): Answer {
      const account = accounts.get(call.pathParams.service_account_id!);
      return account ? { status: 200, body: accountView(account) } : noAccount(call.pathParams.service_account_id!);
    },
    'delete-project-service-account'(call: Call): Answer {
      const id = call.pathParams.service_account_id!;
      if (!accounts.delete(id)) return noAccount(id);
      for (const k of keys.values()) if (k.serviceAccountId === id) keys.delete(k.id);
      return { status: 200, body: { object: 'organization.project.service_account.deleted', id, deleted: true } };
    },
    CreateanAPIkeyforaserviceaccount(call: Call): Answer {
      const id = call.pathParams.service_account_id!;
      if (!accounts.has(id)) return noAccount(id);
      const key = addKey(id, (call.body as { name?: string } | undefined)?.name);
      return { status: 200, body: keyView(key) };
    },
    'list-project-api-keys': (call: Call) => page(call, ordered(keys.values()), projectKeyView),
    'retrieve-project-api-key'(call: Call): Answer {
      const key = keys.get(call.pathParams.api_key_id!);
      return key ? { status: 200, body: projectKeyView(key) } : error(404, `No such API key: ${call.pathParams.api_key_id}`, 'invalid_request_error', null);
    },
    'delete-project-api-key'(call: Call): Answer {
      const key = keys.get(call.pathParams.api_key_id!);
      if (!key) return error(404, `No such API key: ${call.pathParams.api_key_id}`, 'invalid_request_error', null);
      return error(400, 'API keys owned by a service account cannot be deleted; delete the service account instead.', 'invalid_request_error', null);
    },
    listModels: (): Answer => ({ status: 200, body: { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }] } }),
  };

  const server = await startVendorServer({
    vendor: 'OpenAI',
    specs: [new OpenApiSpec('openai-projects.json')],
    handlers,
    authenticate(call) {
      const token = /^Bearer (\S+)$/i.exec(String(call.headers.authorization ?? ''))?.[1] ?? '';
      const incorrect = () => error(401, `Incorrect API key provided: ${mask(token)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key');
      if (call.operation.id === 'listModels') {
        const key = [...keys.values()].find((k) => k.value === token);
        if (!key) return incorrect();
        key.lastUsedAt = config.now();
        return undefined;
      }
      if (token !== adminKey) return incorrect();
      return call.pathParams.project_id === projectId ? undefined : error(404, `No such project: ${call.pathParams.project_id}`, 'invalid_request_error', null);
    },
    invalid: (status, problems) => (status === 404 ? error(404, 'Invalid URL', 'invalid_request_error', null) : error(400, problems.join('; '), 'invalid_request_error', null)),
    rateLimited: (wait) =>
      error(429, 'Rate limit reached for requests', 'requests', 'rate_limit_exceeded', {
        'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0',
        ...(wait === undefined ? {} : { 'retry-after': String(wait), 'x-ratelimit-reset-requests': `${wait}s` }),
      }),
    serverError: (status) => error(status, 'The server had an error while processing your request. Sorry about that!', 'server_error', null),
    errorShape: () => '#/components/schemas/ErrorResponse',
  });

  return Object.assign(server, {
    baseUrl: `${server.origin}/v1`,
    admin: { apiKey: adminKeyAtStart, projectId },
    config,
    serviceAccounts: () => ordered(accounts.values()).map((a) => ({ ...a })),
    keys: () => ordered(keys.values()).map((k) => ({ ...k })),
    seed: (count: number, namePrefix = 'seeded') =>
      Array.from({ length: count }, (_, i) => {
        const { account, key } = addAccount(`${namePrefix}-${String(i + 1).padStart(3, '0')}`, true);
        return { serviceAccount: { ...account }, key: { ...key! } };
      }),
    revokeAdmin() {
      adminKey = `sk-admin-${alnum(48, KEY_CHARS)}`;
    },
  });
}
