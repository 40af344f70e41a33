// A GitHub test server: Actions secrets and variables of repositories, their environments and
// organizations, checked against GitHub's published description (specs/github-actions-secrets.json).
//
// What it reproduces, and where each fact comes from (SPEC = the extract; DOCS = docs.github.com/rest):
// - A secret is written only as a libsodium sealed box to the public key of its repository, environment
//   or organization, with that key's key_id (SPEC: encrypted_value, key_id; DOCS, "Encrypting secrets
//   for the REST API"). This server opens each box with the matching private key: a value that does not
//   open is refused (422; GitHub's wording is not documented), and tests read what it opened.
// - A secret answers name, created_at, updated_at, never its value (SPEC actions-secret); PUT answers
//   201 when it created the secret, 204 when it updated it (SPEC). updated_at is to the second.
// - Organization secrets and variables take a visibility (SPEC: required on PUT and on the variable's POST).
// - Variables: POST creates (201), PATCH updates (204), GET answers name, value, created_at, updated_at
//   (SPEC); creating one that exists is 409 (DOCS; the description documents no 409).
// - Auth (DOCS, authentication and the endpoints' "fine-grained access tokens" sections): no token or a
//   bad one is 401 "Bad credentials"; a repository a token cannot see is 404 "Not Found" (GitHub hides
//   private repositories); a fine-grained token without the permission is 403 "Resource not accessible
//   by personal access token" with X-Accepted-GitHub-Permissions. Repository secrets need Secrets,
//   variables Variables, an environment's both Environments, organization ones Secrets/Variables at
//   organization level. A classic token's scopes come back in X-OAuth-Scopes; it needs repo (or
//   public_repo) for a repository, admin:org for an organization.
// - Primary rate limit (DOCS, rate limits): 403 with x-ratelimit-remaining: 0 and x-ratelimit-reset, the
//   reset as Unix seconds; the description documents no 403 or 429 for these calls, so the answers are
//   checked against basic-error.
import sodium from 'libsodium-wrappers';
import { alnum, hex } from './ids.js';
import { type Answer, type Call, startVendorServer, type VendorServer } from './kit.js';
import { OpenApiSpec } from './openapi.js';

/** A repository ("acme/api"), one of its environments, or an organization. */
export type Scope = { repository: string; environment?: string } | { organization: string };

type Access = 'read' | 'write';
export type TokenGrant =
  | { kind: 'classic'; scopes: string[] }
  | {
    kind: 'fine-grained';
    /** Repositories it may see ("acme/api"); organization permissions apply to `organization`. */
    repositories?: string[];
    organization?: string;
    permissions: Partial<Record<'secrets' | 'variables' | 'environments' | 'organization_secrets' | 'organization_variables', Access>>;
  };

interface Entry {
  value: string;
  createdAt: string;
  updatedAt: string;
}

interface Holder {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  secrets: Map<string, Entry & { visibility?: string }>;
  variables: Map<string, Entry & { visibility?: string }>;
}

export interface GithubTestServer extends VendorServer {
  /** https://api.github.com in production. */
  readonly baseUrl: string;
  /** The clock (ms) created_at and updated_at read. */
  readonly config: { now: () => number };
  addRepository(fullName: string, environments?: string[]): void;
  addOrganization(login: string): void;
  /** A token with these grants (ghp_… classic, github_pat_… fine-grained). */
  token(grant: TokenGrant): string;
  /** What a secret holds: its sealed box opened with the scope's private key. */
  opened(scope: Scope, name: string): string | undefined;
  secretMeta(scope: Scope, name: string): { createdAt: string; updatedAt: string } | undefined;
  variable(scope: Scope, name: string): string | undefined;
  /** Write a secret as a person would (the UI, gh secret set): sealed to the scope's key, no record of keyrot's. */
  setSecret(scope: Scope, name: string, value: string): void;
  /** Every sealed box the server was ever given for a secret, opened (what an attacker with the old values could have). */
  history(scope: Scope, name: string): string[];
}

const error = (status: number, message: string, extra: Record<string, unknown> = {}): Answer =>
  ({ status, body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status), ...extra } });

const scopeKey = (s: Scope) => ('organization' in s ? `org:${s.organization}` : `repo:${s.repository}${s.environment ? `:env:${s.environment}` : ''}`);

export async function startGithubServer(): Promise<GithubTestServer> {
  await sodium.ready;
  const state = { now: () => Date.now() };
  const holders = new Map<string, Holder>();
  const tokens = new Map<string, TokenGrant>();
  const sealedHistory = new Map<string, string[]>();
  const second = () => new Date(Math.floor(state.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

  const addHolder = (scope: Scope) => {
    const pair = sodium.crypto_box_keypair();
    holders.set(scopeKey(scope), { keyId: String(Number.parseInt(hex(12), 16)), publicKey: pair.publicKey, privateKey: pair.privateKey, secrets: new Map(), variables: new Map() });
  };
  const open = (h: Holder, sealed: string): string | undefined => {
    try {
      return sodium.to_string(sodium.crypto_box_seal_open(sodium.from_base64(sealed, sodium.base64_variants.ORIGINAL), h.publicKey, h.privateKey));
    } catch {
      return undefined;
    }
  };
  const holderOf = (scope: Scope) => holders.get(scopeKey(scope));

  function scopeOf(call: Call): Scope {
    const p = call.pathParams;
    if (p.org) return { organization: p.org };
    return { repository: `${p.owner}/${p.repo}`, ...(p.environment_name ? { environment: p.environment_name } : {}) };
  }

  /** Which permission the call needs: [fine-grained permission, access, classic scopes that allow it]. */
  function needs(call: Call, scope: Scope): [string, Access, string[]] {
    const access: Access = call.operation.method === 'GET' ? 'read' : 'write';
    const variables = call.operation.id.includes('variable');
    if ('organization' in scope) return [variables ? 'organization_variables' : 'organization_secrets', access, ['admin:org']];
    if (scope.environment) return ['environments', access, ['repo', 'public_repo']];
    return [variables ? 'variables' : 'secrets', access, ['repo', 'public_repo']];
  }

  function authenticate(call: Call): Answer | undefined {
    const header = call.headers.authorization;
    const grant = tokens.get(typeof header === 'string' ? header.replace(/^(Bearer|token) /, '') : '');
    if (!grant) return error(401, 'Bad credentials');
    const scope = scopeOf(call);
    const [permission, access, classic] = needs(call, scope);
    if (grant.kind === 'classic') {
      if (!grant.scopes.some((s) => classic.includes(s))) return 'organization' in scope ? error(403, 'Must have admin rights to Repository.') : error(404, 'Not Found');
      return undefined;
    }
    const visible = 'organization' in scope ? grant.organization === scope.organization : grant.repositories?.includes(scope.repository);
    if (!visible) return error(404, 'Not Found');
    const has = grant.permissions[permission as keyof typeof grant.permissions];
    if (has === 'write' || has === access) return undefined;
    return { ...error(403, 'Resource not accessible by personal access token'), headers: { 'x-accepted-github-permissions': `${permission}=${access}` } };
  }

  const withScopes = (call: Call, answer: Answer): Answer => {
    const header = call.headers.authorization;
    const grant = tokens.get(typeof header === 'string' ? header.replace(/^(Bearer|token) /, '') : '');
    return grant?.kind === 'classic' ? { ...answer, headers: { ...answer.headers, 'x-oauth-scopes': grant.scopes.join(', ') } } : answer;
  };

  const found = (call: Call, then: (h: Holder, scope: Scope) => Answer): Answer => {
    const scope = scopeOf(call);
    const h = holderOf(scope);
    return withScopes(call, h ? then(h, scope) : error(404, 'Not Found'));
  };
  const shown = (name: string, e: Entry & { visibility?: string }, org: boolean) => ({
    name, created_at: e.createdAt, updated_at: e.updatedAt,
    ...(org ? { visibility: e.visibility ?? 'private', selected_repositories_url: 'https://api.github.com/orgs/org/actions/secrets/x/repositories' } : {}),
  });

  const publicKey = (call: Call) => found(call, (h) => ({ status: 200, body: { key_id: h.keyId, key: sodium.to_base64(h.publicKey, sodium.base64_variants.ORIGINAL) } }));
  const getSecret = (call: Call) => found(call, (h, scope) => {
    const e = h.secrets.get(call.pathParams.secret_name!);
    return e ? { status: 200, body: shown(call.pathParams.secret_name!, e, 'organization' in scope) } : error(404, 'Not Found');
  });
  const putSecret = (call: Call) => found(call, (h, scope) => {
    const body = call.body as { encrypted_value?: string; key_id: string; visibility?: string };
    if (body.key_id !== h.keyId) return error(422, 'Bad request - key_id does not match the current public key');
    if (body.encrypted_value === undefined || open(h, body.encrypted_value) === undefined) return error(422, 'Bad request - the value could not be decrypted');
    const name = call.pathParams.secret_name!;
    const was = h.secrets.get(name);
    h.secrets.set(name, { value: body.encrypted_value, createdAt: was?.createdAt ?? second(), updatedAt: second(), ...(body.visibility ? { visibility: body.visibility } : {}) });
    const key = `${scopeKey(scope)}/${name}`;
    sealedHistory.set(key, [...(sealedHistory.get(key) ?? []), body.encrypted_value]);
    return was ? { status: 204 } : { status: 201, body: {} };
  });
  const getVariable = (call: Call) => found(call, (h, scope) => {
    const e = h.variables.get(call.pathParams.name!);
    return e ? { status: 200, body: { ...shown(call.pathParams.name!, e, false), value: e.value, ...('organization' in scope ? { visibility: e.visibility ?? 'private' } : {}) } } : error(404, 'Not Found');
  });
  const createVariable = (call: Call) => found(call, (h) => {
    const body = call.body as { name: string; value: string; visibility?: string };
    if (h.variables.has(body.name)) return error(409, 'Already exists - Variable already exists');
    h.variables.set(body.name, { value: body.value, createdAt: second(), updatedAt: second(), ...(body.visibility ? { visibility: body.visibility } : {}) });
    return { status: 201, body: {} };
  });
  const updateVariable = (call: Call) => found(call, (h) => {
    const e = h.variables.get(call.pathParams.name!);
    const body = call.body as { value?: string };
    if (!e) return error(404, 'Not Found');
    h.variables.set(call.pathParams.name!, { ...e, ...(body.value !== undefined ? { value: body.value } : {}), updatedAt: second() });
    return { status: 204 };
  });

  const handlers: Record<string, (call: Call) => Answer> = {};
  for (const level of ['repo', 'environment', 'org']) {
    Object.assign(handlers, {
      [`actions/get-${level}-public-key`]: publicKey,
      [`actions/get-${level}-secret`]: getSecret,
      [`actions/create-or-update-${level}-secret`]: putSecret,
      [`actions/get-${level}-variable`]: getVariable,
      [`actions/create-${level}-variable`]: createVariable,
      [`actions/update-${level}-variable`]: updateVariable,
    });
  }

  const server = await startVendorServer({
    vendor: 'GitHub',
    specs: [new OpenApiSpec('github-actions-secrets.json')],
    handlers,
    authenticate,
    invalid: (status, problems) => (status === 404 ? error(404, 'Not Found') : error(422, `Invalid request.\n\n${problems.join('\n')}`)),
    rateLimited: (seconds) => ({
      ...error(403, 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.'),
      headers: {
        'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-resource': 'core',
        'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + (seconds ?? 3600)),
      },
    }),
    serverError: (status) => error(status, 'Server Error'),
    errorShape: () => '#/components/schemas/basic-error',
  });

  return Object.assign(server, {
    baseUrl: server.origin,
    config: state,
    addRepository(fullName: string, environments: string[] = []) {
      addHolder({ repository: fullName });
      for (const environment of environments) addHolder({ repository: fullName, environment });
    },
    addOrganization: (login: string) => addHolder({ organization: login }),
    token(grant: TokenGrant) {
      const token = grant.kind === 'classic' ? `ghp_${alnum(36)}` : `github_pat_${alnum(22)}_${alnum(59)}`;
      tokens.set(token, grant);
      return token;
    },
    opened(scope: Scope, name: string) {
      const h = holderOf(scope);
      const e = h?.secrets.get(name);
      return h && e ? open(h, e.value) : undefined;
    },
    secretMeta(scope: Scope, name: string) {
      const e = holderOf(scope)?.secrets.get(name);
      return e ? { createdAt: e.createdAt, updatedAt: e.updatedAt } : undefined;
    },
    variable: (scope: Scope, name: string) => holderOf(scope)?.variables.get(name)?.value,
    setSecret(scope: Scope, name: string, value: string) {
      const h = holderOf(scope)!;
      const sealed = sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(value), h.publicKey), sodium.base64_variants.ORIGINAL);
      const was = h.secrets.get(name);
      h.secrets.set(name, { value: sealed, createdAt: was?.createdAt ?? second(), updatedAt: second() });
    },
    history(scope: Scope, name: string) {
      const h = holderOf(scope)!;
      return (sealedHistory.get(`${scopeKey(scope)}/${name}`) ?? []).map((s) => open(h, s) ?? '');
    },
  });
}
