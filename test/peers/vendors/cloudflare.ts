// A Cloudflare test server: user API tokens (/user/tokens), checked against Cloudflare's published
// description (specs/cloudflare-user-tokens.json).
//
// What it reproduces, and where each fact comes from (SPEC = the extract; DOCS = developers.cloudflare.com;
// ISSUE = answers quoted in public issues):
// - Bearer tokens (SPEC security); managing tokens takes a token with the "API Tokens Write" permission
//   group ("API Tokens Read" to list and get) (DOCS, API token permissions). Every answer is the
//   envelope {success, errors, messages, result} (SPEC).
// - Create answers 200 (not 201) with the secret in result.value (40-80 characters), in that answer
//   only (SPEC). Policy ids are assigned by Cloudflare: a request need not send them (readOnly).
// - PUT /user/tokens/{id} replaces the whole token (name, policies, status, condition, dates): a body
//   without `policies` breaks the description (SPEC: required), and one that leaves a policy out drops
//   it (DOCS/blogs: "PUT is a full replace"). Status `disabled` is how a token is deactivated, `active`
//   how it is reactivated.
// - GET /user/tokens/verify answers {result: {id, status}} and the message "This API Token is valid and
//   active" (ISSUE putyourlightson/craft-cloudflare#88); for a disabled or expired token this server
//   answers 200 with that status (the description's enum allows it; not observed): check result.status.
// - Lists: page (from 1), per_page (5-50, default 20), direction; result_info {page, per_page, count,
//   total_count} (SPEC). Tokens carry last_used_on once used (DOCS, token object; the 2024 extract's
//   token schema does not name it, but allows it).
// - Errors: a missing or malformed Authorization header is 400, code 6003 "Invalid request headers"
//   with error_chain 6111 (ISSUE kissgyorgy/cloudflare-dyndns#40); an unknown token 401, code 1000
//   "Invalid API Token"; a token without the permission 403, code 9109; a missing token 404 (its code
//   is not documented: 1003 here). 429 carries Retry-After (seconds)
//   and Ratelimit/Ratelimit-Policy (DOCS, rate limits), with "Please wait and consider throttling your
//   request speed" (ISSUE cloudflare/workers-sdk#10025). Cloudflare was seen answering that with code
//   971, which its description forbids (codes are >= 1000): this server answers code 10000, so nothing
//   may depend on the code. At most 50 user tokens (DOCS, limits; the error past it is not documented:
//   400 here).
// - The description's 4XX schema is allOf [a success envelope (success: true), a failure envelope
//   (success: false)]: no body satisfies it, so error answers are checked against the failure envelope.
import { alnum, hex } from './ids.js';
import { type Answer, type Call, startVendorServer, type VendorServer } from './kit.js';
import { OpenApiSpec } from './openapi.js';

export interface CloudflarePolicy {
  id: string;
  effect: 'allow' | 'deny';
  resources: Record<string, unknown>;
  permission_groups: { id: string; name?: string; meta?: Record<string, unknown> }[];
}

export interface CloudflareToken {
  id: string;
  name: string;
  value: string;
  status: 'active' | 'disabled' | 'expired';
  policies: CloudflarePolicy[];
  issuedOn: number;
  modifiedOn: number;
  lastUsedOn?: number;
  condition?: unknown;
  expiresOn?: string;
  notBefore?: string;
}

export interface CloudflareTestServer extends VendorServer {
  /** The API base URL (https://api.cloudflare.com/client/v4 in production). */
  readonly baseUrl: string;
  /** A token with "API Tokens Write" (listed among the tokens, as the real one is). */
  readonly admin: { token: string };
  /** The ids of the permission groups this account knows, by name. */
  readonly permissionGroups: Record<'API Tokens Read' | 'API Tokens Write' | 'DNS Write' | 'Zone Read', string>;
  /** Change freely: the token limit and the clock (ms). */
  readonly config: { maxTokens: number; now: () => number };
  tokens(): CloudflareToken[];
  seed(count: number, namePrefix?: string): CloudflareToken[];
  /** The admin token keeps only these permission groups (by name). */
  restrictAdmin(groups: (keyof CloudflareTestServer['permissionGroups'])[]): void;
  /** The admin token is deleted: every call with it answers 401. */
  revokeAdmin(): void;
}

type Message = { code: number; message: string; error_chain?: Message[] };
const failure = (status: number, errors: Message[], headers?: Record<string, string>): Answer => ({
  status, body: { success: false, errors, messages: [], result: null }, ...(headers ? { headers } : {}),
});
const success = (result: unknown, extra: Record<string, unknown> = {}): Answer => ({ status: 200, body: { success: true, errors: [], messages: [], result, ...extra } });
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const READ_OPS = new Set(['user-api-tokens-list-tokens', 'user-api-tokens-token-details']);

export async function startCloudflareServer(): Promise<CloudflareTestServer> {
  const tokens = new Map<string, CloudflareToken>();
  const config = { maxTokens: 50, now: () => Date.now() };
  const groups = { 'API Tokens Read': hex(32), 'API Tokens Write': hex(32), 'DNS Write': hex(32), 'Zone Read': hex(32) };
  const groupName = Object.fromEntries(Object.entries(groups).map(([name, id]) => [id, name]));
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

  const withIds = (policies: Omit<CloudflarePolicy, 'id'>[]): CloudflarePolicy[] =>
    policies.map((p) => ({ ...p, id: (p as { id?: string }).id ?? hex(32), permission_groups: p.permission_groups.map((g) => ({ id: g.id, ...(groupName[g.id] ? { name: groupName[g.id] } : {}) })) }));
  const addToken = (name: string, policies: Omit<CloudflarePolicy, 'id'>[], extra: Partial<CloudflareToken> = {}): CloudflareToken => {
    const token: CloudflareToken = { id: hex(32), name, value: alnum(40, TOKEN_CHARS), status: 'active', policies: withIds(policies), issuedOn: config.now(), modifiedOn: config.now(), ...extra };
    tokens.set(token.id, token);
    return token;
  };
  const allow = (...ids: string[]) => [{ effect: 'allow' as const, resources: { 'com.cloudflare.api.user.*': '*' }, permission_groups: ids.map((id) => ({ id })) }];
  const admin = addToken('org admin token', allow(groups['API Tokens Write'], groups['API Tokens Read']));

  const view = (t: CloudflareToken) => ({
    id: t.id, name: t.name, status: t.status, issued_on: iso(t.issuedOn), modified_on: iso(t.modifiedOn), policies: t.policies,
    ...(t.lastUsedOn !== undefined ? { last_used_on: iso(t.lastUsedOn) } : {}),
    ...(t.condition !== undefined ? { condition: t.condition } : {}),
    ...(t.expiresOn !== undefined ? { expires_on: t.expiresOn } : {}), ...(t.notBefore !== undefined ? { not_before: t.notBefore } : {}),
  });
  const notFound = () => failure(404, [{ code: 1003, message: 'Invalid token id' }]);
  const bearer = (call: Call) => /^Bearer (\S+)$/i.exec(String(call.headers.authorization ?? ''))?.[1];
  const holder = (call: Call) => [...tokens.values()].find((t) => t.value === bearer(call));
  const holds = (t: CloudflareToken, group: string) => t.policies.some((p) => p.effect === 'allow' && p.permission_groups.some((g) => g.id === group));

  const handlers = {
    'user-api-tokens-list-tokens'(call: Call): Answer {
      const page = Number(call.query.get('page') ?? 1);
      const perPage = Number(call.query.get('per_page') ?? 20);
      const direction = call.query.get('direction') === 'desc' ? -1 : 1;
      const all = [...tokens.values()].sort((a, b) => (a.issuedOn - b.issuedOn || (a.id < b.id ? -1 : 1)) * direction);
      const items = all.slice((page - 1) * perPage, page * perPage);
      return success(items.map(view), { result_info: { page, per_page: perPage, count: items.length, total_count: all.length } });
    },
    'user-api-tokens-create-token'(call: Call): Answer {
      const body = call.body as { name: string; policies: CloudflarePolicy[]; condition?: unknown; expires_on?: string; not_before?: string };
      if (tokens.size >= config.maxTokens) return failure(400, [{ code: 1005, message: `You have reached the maximum number of API tokens (${config.maxTokens})` }]);
      const t = addToken(body.name, body.policies, { condition: body.condition, expiresOn: body.expires_on, notBefore: body.not_before });
      return success({ ...view(t), value: t.value });
    },
    'user-api-tokens-token-details'(call: Call): Answer {
      const t = tokens.get(call.pathParams.token_id!);
      return t ? success(view(t)) : notFound();
    },
    'user-api-tokens-update-token'(call: Call): Answer {
      const t = tokens.get(call.pathParams.token_id!);
      if (!t) return notFound();
      const body = call.body as { name: string; status: CloudflareToken['status']; policies: CloudflarePolicy[]; condition?: unknown; expires_on?: string; not_before?: string };
      // A full replace: what the body leaves out is gone.
      Object.assign(t, { name: body.name, status: body.status, policies: withIds(body.policies), condition: body.condition, expiresOn: body.expires_on, notBefore: body.not_before, modifiedOn: config.now() });
      return success(view(t));
    },
    'user-api-tokens-delete-token'(call: Call): Answer {
      return tokens.delete(call.pathParams.token_id!) ? success({ id: call.pathParams.token_id }) : notFound();
    },
    'user-api-tokens-verify-token'(call: Call): Answer {
      const t = holder(call)!;
      const answer = success({ id: t.id, status: t.status, ...(t.expiresOn ? { expires_on: t.expiresOn } : {}), ...(t.notBefore ? { not_before: t.notBefore } : {}) });
      if (t.status === 'active') (answer.body as { messages: unknown[] }).messages.push({ code: 10000, message: 'This API Token is valid and active', type: null });
      return answer;
    },
  };

  const server = await startVendorServer({
    vendor: 'Cloudflare',
    specs: [new OpenApiSpec('cloudflare-user-tokens.json')],
    handlers,
    authenticate(call) {
      const value = bearer(call);
      if (!value || !/^[\w-]{40,80}$/.test(value)) {
        return failure(400, [{ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }] }]);
      }
      const t = holder(call);
      if (!t) return failure(401, [{ code: 1000, message: 'Invalid API Token' }]);
      if (call.operation.id === 'user-api-tokens-verify-token') {
        t.lastUsedOn = config.now();
        return undefined;
      }
      if (t.status !== 'active') return failure(401, [{ code: 1000, message: 'Invalid API Token' }]);
      t.lastUsedOn = config.now();
      const needed = READ_OPS.has(call.operation.id) ? [groups['API Tokens Read'], groups['API Tokens Write']] : [groups['API Tokens Write']];
      return needed.some((g) => holds(t, g)) ? undefined : failure(403, [{ code: 9109, message: 'Unauthorized to access requested resource' }]);
    },
    invalid: (status, problems) => (status === 404 ? failure(404, [{ code: 7003, message: 'No route for the URI' }]) : failure(400, [{ code: 6003, message: problems.join('; ') }])),
    rateLimited: (seconds) =>
      failure(429, [{ code: 10000, message: 'Please wait and consider throttling your request speed' }], {
        ratelimit: `"default";r=0;t=${seconds ?? 300}`, 'ratelimit-policy': '"default";q=1200;w=300',
        ...(seconds === undefined ? {} : { 'retry-after': String(seconds) }),
      }),
    serverError: (status) => failure(status, [{ code: 10001, message: 'Internal server error' }]),
    errorShape: () => '#/components/schemas/iam_api-response-common-failure',
    errorShapeReplacesDocumented: true, // the documented 4XX schema requires success to be both true and false
  });

  return Object.assign(server, {
    baseUrl: `${server.origin}/client/v4`,
    admin: { token: admin.value },
    permissionGroups: groups,
    config,
    tokens: () => [...tokens.values()].map((t) => structuredClone(t)),
    seed: (count: number, namePrefix = 'seeded') =>
      Array.from({ length: count }, (_, i) => structuredClone(addToken(`${namePrefix}-${String(i + 1).padStart(3, '0')}`, allow(groups['DNS Write'])))),
    restrictAdmin(names: (keyof typeof groups)[]) {
      admin.policies = withIds(allow(...names.map((n) => groups[n])));
    },
    revokeAdmin() {
      tokens.delete(admin.id);
    },
  });
}
