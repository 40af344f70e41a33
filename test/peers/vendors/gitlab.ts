// A GitLab test server: CI/CD variables of projects and groups, checked against GitLab's published
// description (specs/gitlab-ci-variables.json, cut from doc/api/openapi/openapi_v3.yaml).
//
// What it reproduces, and where each fact comes from (SPEC = the extract; CODE = gitlab-org/gitlab's
// lib/api/ci/variables.rb, lib/api/group_variables.rb, lib/api/helpers/variables_helpers.rb,
// app/models/concerns/ci/maskable.rb, lib/api/entities/ci/variable.rb; DOCS = docs.gitlab.com/api):
// - A project variable is a key in an environment scope: one key may exist in several scopes (SPEC, the
//   create's description). GET selects the scope with the query filter[environment_scope], PUT with a body
//   `filter` (SPEC); without one, two scopes of the key answer 409 "There are multiple variables with
//   provided parameters. Please use 'filter[environment_scope]'" (CODE find_variable). A group variable is
//   read and updated by key alone (SPEC documents no filter there; CODE updates by key without one).
// - Create answers 201 with the variable, update 200 (SPEC); a key taken in that scope is 400
//   {"message":{"key":["(KEY) has already been taken"]}} (CODE, the model's uniqueness validation); a
//   missing one 404 "404 Variable Not Found" / "404 GroupVariable Not Found" (CODE not_found!).
// - A masked value must match /\A[a-zA-Z0-9_+=\/@:.~-]{8,}\z/, else 400 {"message":{"value":["is invalid"]}}
//   (CODE Ci::Maskable). A description longer than 255 characters is refused (400), as the model does.
// - Access (CODE before-filters, DOCS "Authentication"): no token or an unknown one 401 "401 Unauthorized";
//   a write with a read_api token 403 insufficient_scope; a project or group the token's user cannot see
//   404 "404 Project Not Found" / "404 Group Not Found"; a member below the role 403 "403 Forbidden".
//   Project variables need Maintainer (40, :admin_build), group variables Owner (50, SPEC's tag text).
//   The token comes as PRIVATE-TOKEN or Authorization: Bearer (SPEC securitySchemes).
// - Rate limit (DOCS "Rate limits", response headers): 429 text/plain "Retry later", with Retry-After
//   (seconds), RateLimit-Limit, -Name, -Observed, -Remaining 0, -Reset (Unix seconds), -ResetTime.
// - GitLab keeps no older value: an update overwrites it.
// Not modelled: hidden variables (masked_and_hidden), whose value GitLab answers as null while the
// description says a string; keyrot never creates one and refuses to write one it finds.
// Wrong in the description: error answers are documented without a body, while GitLab sends
// {"message": …} or {"error": …} (CODE render_api_error!); they are checked against that shape instead.
// And a variable's description is a string there, null in GitLab's answers (see shown()).
import { alnum } from './ids.js';
import { type Answer, type Call, startVendorServer, type VendorServer } from './kit.js';
import { OpenApiSpec } from './openapi.js';

export type Owner = { project: string } | { group: string };

export interface Variable {
  key: string;
  value: string;
  environment_scope: string;
  description: string | null;
  masked: boolean;
  protected: boolean;
  raw: boolean;
  variable_type: 'env_var' | 'file';
}

/** A token: its scopes, and its user's role (10 guest … 40 maintainer, 50 owner) per project or group path. */
export interface TokenGrant {
  scopes: string[];
  roles: Record<string, number>;
}

export interface GitlabTestServer extends VendorServer {
  /** https://gitlab.com in production (keyrot adds /api/v4). */
  readonly baseUrl: string;
  addProject(path: string): number;
  addGroup(path: string): number;
  token(grant: TokenGrant): string;
  variables(owner: Owner): Variable[];
  /** Write a variable as a person would (the UI): any description, no check of keyrot's. */
  setVariable(owner: Owner, v: Partial<Variable> & { key: string; value: string }): void;
  /** Remove every variable of a project or group (between tests). */
  clear(owner: Owner): void;
}

const MASKABLE = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/;
const ROLE_NEEDED = { projects: 40, groups: 50 } as const;

const message = (status: number, text: unknown): Answer => ({ status, body: { message: text } });
const notFound = (what: string) => message(404, `404 ${what} Not Found`);

export async function startGitlabServer(): Promise<GitlabTestServer> {
  const owners = new Map<string, { id: number; variables: Variable[] }>(); // "projects:acme/app", "groups:acme"
  const tokens = new Map<string, TokenGrant>();
  let nextId = 1;

  const kindOf = (call: Call) => (call.operation.path.startsWith('/api/v4/projects') ? 'projects' : 'groups');
  const pathOf = (kind: string, id: string) => [...owners].find(([k, o]) => k === `${kind}:${id}` || (k.startsWith(`${kind}:`) && String(o.id) === id))?.[0].slice(kind.length + 1);
  const grantOf = (call: Call) => {
    const bearer = /^Bearer (.+)$/.exec(String(call.headers.authorization ?? ''))?.[1];
    const header = call.headers['private-token'];
    return tokens.get(typeof header === 'string' ? header : (bearer ?? ''));
  };

  function authenticate(call: Call): Answer | undefined {
    const grant = grantOf(call);
    if (!grant) return message(401, '401 Unauthorized');
    const reads = call.operation.method === 'GET';
    if (!grant.scopes.includes('api') && !(reads && grant.scopes.includes('read_api'))) {
      return { status: 403, body: { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: 'api' } };
    }
    const kind = kindOf(call);
    const path = pathOf(kind, call.pathParams.id!);
    const role = path === undefined ? 0 : (grant.roles[path] ?? 0);
    if (role === 0) return notFound(kind === 'projects' ? 'Project' : 'Group');
    return role >= ROLE_NEEDED[kind] ? undefined : message(403, '403 Forbidden');
  }

  const ownerOf = (call: Call) => owners.get(`${kindOf(call)}:${pathOf(kindOf(call), call.pathParams.id!)}`)!;
  // A variable without a description: GitLab answers "description": null (DOCS examples), its description
  // says a string; the field is left out here, and keyrot reads absent, null and "" alike.
  const shown = ({ description, ...v }: Variable) => ({ ...v, hidden: false, ...(description === null ? {} : { description }) });

  /** The variable a read or update addresses, or GitLab's answer when none or several do. */
  function find(call: Call, scope: string | undefined): Variable | Answer {
    const group = kindOf(call) === 'groups';
    const same = ownerOf(call).variables.filter((v) => v.key === call.pathParams.key && (scope === undefined || v.environment_scope === scope));
    if (same.length === 0) return notFound(group ? 'GroupVariable' : 'Variable');
    if (same.length > 1) return { status: 409, body: { message: "409 Conflict: There are multiple variables with provided parameters. Please use 'filter[environment_scope]'" } };
    return same[0]!;
  }

  function invalid(v: Variable): Answer | undefined {
    if (!/^[A-Za-z0-9_]{1,255}$/.test(v.key)) return message(400, { key: ['can contain only letters, digits and \'_\'.'] });
    if (v.masked && !MASKABLE.test(v.value)) return message(400, { value: ['is invalid'] });
    if ((v.description ?? '').length > 255) return message(400, { description: ['is too long (maximum is 255 characters)'] });
    return undefined;
  }

  type Body = Partial<Variable> & { filter?: { environment_scope?: string } };
  const handlers: Record<string, (call: Call) => Answer> = {};
  for (const kind of ['Projects', 'Groups']) {
    handlers[`getApiV4${kind}IdVariablesKey`] = (call) => {
      const found = find(call, call.query.get('filter[environment_scope]') ?? undefined);
      return 'status' in found ? found : { status: 200, body: shown(found) };
    };
    handlers[`postApiV4${kind}IdVariables`] = (call) => {
      const body = call.body as Body & { key: string; value: string };
      const v: Variable = {
        key: body.key, value: body.value, environment_scope: body.environment_scope ?? '*', description: body.description ?? null,
        masked: body.masked ?? false, protected: body.protected ?? false, raw: body.raw ?? false, variable_type: body.variable_type ?? 'env_var',
      };
      const refused = invalid(v);
      if (refused) return refused;
      const { variables } = ownerOf(call);
      if (variables.some((o) => o.key === v.key && o.environment_scope === v.environment_scope)) return message(400, { key: [`(${v.key}) has already been taken`] });
      variables.push(v);
      return { status: 201, body: shown(v) };
    };
    handlers[`putApiV4${kind}IdVariablesKey`] = (call) => {
      const body = call.body as Body;
      const found = find(call, body.filter?.environment_scope);
      if ('status' in found) return found;
      const { filter: _filter, ...fields } = body;
      const next = { ...found, ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null)) } as Variable;
      const refused = invalid(next);
      if (refused) return refused;
      Object.assign(found, next);
      return { status: 200, body: shown(found) };
    };
  }

  const server = await startVendorServer({
    vendor: 'GitLab',
    specs: [new OpenApiSpec('gitlab-ci-variables.json')],
    handlers,
    authenticate,
    invalid: (status, problems) => (status === 404 ? { status: 404, body: { error: '404 Not Found' } } : { status: 400, body: { error: problems.join(', ') } }),
    rateLimited: (seconds) => {
      const wait = seconds ?? 60;
      const reset = Math.ceil(Date.now() / 1000) + wait;
      return {
        status: 429, text: 'Retry later\n',
        headers: {
          'content-type': 'text/plain', 'retry-after': String(wait), 'ratelimit-name': 'throttle_authenticated_api', 'ratelimit-limit': '2000',
          'ratelimit-observed': '2001', 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset), 'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
        },
      };
    },
    serverError: (status) => message(status, `${status} Internal Server Error`),
    errorShape: () => ({
      type: 'object',
      anyOf: [{ required: ['message'] }, { required: ['error'] }],
      properties: { message: { type: ['string', 'object'] }, error: { type: 'string' }, error_description: { type: 'string' } },
    }),
    // GitLab documents its error statuses without a body, and sends one: {"message": …} or {"error": …}.
    errorShapeReplacesDocumented: true,
  });

  const holder = (owner: Owner) => owners.get('project' in owner ? `projects:${owner.project}` : `groups:${owner.group}`)!;
  const add = (kind: string, path: string) => {
    const id = nextId++;
    owners.set(`${kind}:${path}`, { id, variables: [] });
    return id;
  };
  return Object.assign(server, {
    baseUrl: server.origin,
    addProject: (path: string) => add('projects', path),
    addGroup: (path: string) => add('groups', path),
    token(grant: TokenGrant) {
      const token = `glpat-${alnum(20)}`;
      tokens.set(token, grant);
      return token;
    },
    variables: (owner: Owner) => holder(owner).variables.map((v) => ({ ...v })),
    setVariable(owner: Owner, v: Partial<Variable> & { key: string; value: string }) {
      const { variables } = holder(owner);
      const scope = v.environment_scope ?? '*';
      const was = variables.find((o) => o.key === v.key && o.environment_scope === scope);
      const next: Variable = { description: null, masked: false, protected: false, raw: false, variable_type: 'env_var', ...was, ...v, environment_scope: scope };
      if (was) Object.assign(was, next);
      else variables.push(next);
    },
    clear: (owner: Owner) => void holder(owner).variables.splice(0),
  });
}
