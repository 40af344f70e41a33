// A hand-written HashiCorp Vault test server, kept only for what the real peer (OpenBao 2.7.2,
// test/peers/openbao.ts) cannot do here: Kubernetes auth (a real login needs a cluster's TokenReview
// API), fault injection (`intercept`: 5xx answers that echo the request, stalls, a write that never
// lands) and Enterprise namespaces (the header is recorded). Every other Vault test runs on OpenBao.
// Written from Vault's documented HTTP API and aligned with what OpenBao answers: a bad or expired
// token gets 403 ["permission denied"] (no "invalid token"); custom_metadata reads null after `{}`;
// oldest_version stays 0 until max_versions trims a version; `?list=true` on metadata answers 200
// with the keys. Bound to 127.0.0.1 on a free port.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Capability = 'create' | 'read' | 'update' | 'delete' | 'list';
/** As in a Vault policy: ACL path (a trailing * matches any rest) -> capabilities. */
export type Policy = Record<string, Capability[]>;

export interface VersionView {
  data?: Record<string, unknown>;
  deleted: boolean;
  destroyed: boolean;
}

export interface SecretView {
  currentVersion: number;
  customMetadata: Record<string, string> | null;
  versions: Record<number, VersionView>;
}

export interface SeenRequest {
  method: string;
  path: string;
  namespace?: string;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface VaultTestServer {
  readonly address: string;
  readonly rootToken: string;
  /** Every request, without bodies or tokens. */
  readonly requests: SeenRequest[];
  createToken(policy: Policy, options?: { ttlSeconds?: number }): string;
  /** Expire a token now (as its TTL running out would). */
  expireToken(token: string): void;
  addAppRole(policy: Policy, mount?: string): { roleId: string; secretId: string };
  addKubernetesRole(role: string, policy: Policy, mount?: string): { jwt: string };
  mount(path: string, version?: 1 | 2): void;
  seal(): void;
  unseal(): void;
  /** Write a version as another writer would (no token, no cas). Returns the new version. */
  put(mount: string, path: string, data: Record<string, unknown>, customMetadata?: Record<string, string>): number;
  secret(mount: string, path: string): SecretView | undefined;
  /** Runs when a POST to .../data/... arrives, before check-and-set: a concurrent writer slips in here. */
  beforeDataWrite?: (mount: string, path: string) => void | Promise<void>;
  /** Answer a request instead of Vault (faults, stalls); return undefined to let it through. */
  intercept?: (request: SeenRequest & { body: unknown }) => Reply | undefined | Promise<Reply | undefined>;
  close(): Promise<void>;
}

interface Token {
  policy: Policy | 'root';
  expiresAt?: number;
  accessor: string;
}

interface Version {
  data?: Record<string, unknown>;
  created: string;
  deletedAt?: string;
  destroyed: boolean;
}

interface Secret {
  versions: Map<number, Version>;
  current: number;
  oldest: number;
  custom: Record<string, string> | null;
  created: string;
  updated: string;
  maxVersions: number;
  casRequired: boolean;
}

class VaultError {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {}
}

const DENIED = '1 error occurred:\n\t* permission denied\n\n';
// OpenBao's answer to a missing, unknown, expired or revoked token (the policy check's is DENIED).
const BAD_TOKEN = 'permission denied';
const CAS_MISMATCH = 'check-and-set parameter did not match the current version';

const now = () => new Date().toISOString();
const fail = (status: number, ...errors: string[]) => new VaultError(status, errors);
// Vault's response envelope.
const wrap = (data: unknown, extra: Record<string, unknown> = {}) => ({
  request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null, ...extra,
});

export async function startVaultKv2Server(): Promise<VaultTestServer> {
  const rootToken = `hvs.root${randomBytes(12).toString('hex')}`;
  const tokens = new Map<string, Token>([[rootToken, { policy: 'root', accessor: randomUUID() }]]);
  const mounts = new Map<string, { type: 'kv'; version: 1 | 2 }>([['secret', { type: 'kv', version: 2 }]]);
  const approles = new Map<string, Map<string, { secretId: string; policy: Policy }>>([['approle', new Map()]]);
  const kubernetes = new Map<string, Map<string, { jwt: string; policy: Policy }>>([['kubernetes', new Map()]]);
  const secrets = new Map<string, Secret>();
  let sealed = false;
  const requests: SeenRequest[] = [];

  const issue = (policy: Policy, ttlSeconds?: number) => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    tokens.set(token, { policy, accessor: randomUUID(), expiresAt: ttlSeconds === undefined ? undefined : Date.now() + ttlSeconds * 1000 });
    return token;
  };
  const key = (mount: string, path: string) => `${mount}\u0000${path}`;

  function allowed(token: Token, aclPath: string, capability: Capability): boolean {
    if (token.policy === 'root') return true;
    return Object.entries(token.policy).some(
      ([pattern, caps]) => caps.includes(capability) && (pattern.endsWith('*') ? aclPath.startsWith(pattern.slice(0, -1)) : aclPath === pattern),
    );
  }

  function authenticate(header: string | undefined): Token {
    if (!header) throw fail(403, BAD_TOKEN);
    const token = tokens.get(header);
    if (!token || (token.expiresAt !== undefined && token.expiresAt <= Date.now())) throw fail(403, BAD_TOKEN);
    return token;
  }

  function findMount(path: string): string | undefined {
    return [...mounts.keys()].filter((m) => path === m || path.startsWith(`${m}/`)).sort((a, b) => b.length - a.length)[0];
  }

  function write(secret: Secret, data: Record<string, unknown>): Version & { version: number } {
    const version: Version = { data, created: now(), destroyed: false };
    secret.current += 1;
    secret.versions.set(secret.current, version);
    secret.updated = version.created;
    // Beyond max_versions (10 unless set), the oldest versions are removed for good.
    const keep = secret.maxVersions || 10;
    const trimmed = [...secret.versions.keys()].filter((n) => n <= secret.current - keep);
    for (const n of trimmed) secret.versions.delete(n);
    if (trimmed.length > 0) secret.oldest = Math.min(...secret.versions.keys()); // 0 until something is trimmed
    return { ...version, version: secret.current };
  }

  const newSecret = (): Secret => ({ versions: new Map(), current: 0, oldest: 0, custom: null, created: now(), updated: now(), maxVersions: 0, casRequired: false });

  const versionMetadata = (secret: Secret, n: number, v: Version) => ({
    version: n, created_time: v.created, deletion_time: v.deletedAt ?? '', destroyed: v.destroyed, custom_metadata: secret.custom,
  });

  function versionList(body: unknown): number[] {
    const versions = (body as { versions?: unknown } | undefined)?.versions;
    if (!Array.isArray(versions) || versions.length === 0) throw fail(400, 'no version number provided');
    return versions.map(Number);
  }

  function validateCustom(raw: unknown): Record<string, string> | null {
    if (typeof raw !== 'object' || raw === null) throw fail(400, 'custom_metadata validation failed: expected a map');
    const custom = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
    if (Object.keys(custom).length === 0) return null; // read back as null, as OpenBao does
    const problems: string[] = [];
    if (Object.keys(custom).length > 64) problems.push('payload must contain at most 64 keys');
    for (const [k, v] of Object.entries(custom)) {
      if (k.length === 0 || k.length > 128) problems.push(`length of key "${k}" is ${k.length} but must be 0 < len(key) <= 128`);
      if (v.length === 0 || v.length > 512) problems.push(`length of value for key "${k}" is ${v.length} but must be 0 < len(value) <= 512`);
    }
    if (problems.length) throw fail(400, `custom_metadata validation failed: ${problems.join('; ')}`);
    return custom;
  }

  async function kv(method: string, mount: string, rest: string, query: URLSearchParams, body: unknown, token: Token): Promise<Reply> {
    const slash = rest.indexOf('/');
    const kind = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash + 1);
    if (mounts.get(mount)!.version === 1) return method === 'GET' ? { status: 404, body: { errors: [] } } : { status: 204 };
    if (kind === 'metadata' && (method === 'LIST' || (method === 'GET' && query.get('list') === 'true'))) {
      if (!allowed(token, `${mount}/metadata/${path}`, 'list')) throw fail(403, DENIED);
      const prefix = path && !path.endsWith('/') ? `${path}/` : path;
      const under = [...secrets.keys()].filter((k) => k.startsWith(key(mount, prefix))).map((k) => k.slice(key(mount, prefix).length));
      const keys = [...new Set(under.map((rest) => (rest.includes('/') ? `${rest.slice(0, rest.indexOf('/'))}/` : rest)))].sort();
      return keys.length ? { status: 200, body: wrap({ keys }) } : { status: 404, body: { errors: [] } };
    }
    if (!['data', 'metadata', 'delete', 'undelete', 'destroy'].includes(kind) || !path) throw fail(404, 'unsupported path');
    const id = key(mount, path);
    const secret = secrets.get(id);
    const capability: Capability =
      method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : kind === 'data' || kind === 'metadata' ? (secret ? 'update' : 'create') : 'update';
    if (!allowed(token, `${mount}/${kind}/${path}`, capability)) throw fail(403, DENIED);

    if (kind === 'data' && method === 'GET') {
      if (!secret) return { status: 404, body: { errors: [] } };
      const n = Number(query.get('version') || 0) || secret.current;
      const v = secret.versions.get(n);
      if (!v) return { status: 404, body: { errors: [] } };
      const metadata = versionMetadata(secret, n, v);
      // A deleted or destroyed version answers 404 with its metadata and no errors.
      if (v.deletedAt || v.destroyed) return { status: 404, body: wrap({ data: null, metadata }) };
      return { status: 200, body: wrap({ data: v.data, metadata }) };
    }
    if (kind === 'data' && (method === 'POST' || method === 'PUT')) {
      const { data, options } = (body ?? {}) as { data?: unknown; options?: { cas?: unknown } };
      if (typeof data !== 'object' || data === null) throw fail(400, 'no data provided');
      await server.beforeDataWrite?.(mount, path);
      const target = secrets.get(id) ?? newSecret();
      if (options?.cas !== undefined) {
        if (Number(options.cas) !== target.current) throw fail(400, CAS_MISMATCH);
      } else if (target.casRequired) {
        throw fail(400, 'check-and-set parameter required for this call');
      }
      secrets.set(id, target);
      const v = write(target, data as Record<string, unknown>);
      return { status: 200, body: wrap(versionMetadata(target, v.version, v)) };
    }
    if (kind === 'data' && method === 'DELETE') {
      const v = secret?.versions.get(secret.current);
      if (v && !v.destroyed) v.deletedAt ??= now();
      return { status: 204 };
    }
    if (kind === 'metadata' && method === 'GET') {
      if (!secret) return { status: 404, body: { errors: [] } };
      const versions = Object.fromEntries(
        [...secret.versions].map(([n, v]) => [String(n), { created_time: v.created, deletion_time: v.deletedAt ?? '', destroyed: v.destroyed }]),
      );
      return {
        status: 200,
        body: wrap({
          cas_required: secret.casRequired, created_time: secret.created, current_version: secret.current, delete_version_after: '0s',
          max_versions: secret.maxVersions, oldest_version: secret.oldest, updated_time: secret.updated, custom_metadata: secret.custom, versions,
        }),
      };
    }
    if (kind === 'metadata' && (method === 'POST' || method === 'PUT')) {
      const fields = (body ?? {}) as { custom_metadata?: unknown; max_versions?: unknown; cas_required?: unknown };
      if (fields.custom_metadata === undefined && fields.max_versions === undefined && fields.cas_required === undefined) return { status: 204 };
      // Validate before touching anything; custom_metadata, when given, replaces the whole map.
      const custom = fields.custom_metadata === undefined ? undefined : validateCustom(fields.custom_metadata);
      const target = secret ?? newSecret();
      if (custom !== undefined) target.custom = custom;
      if (fields.max_versions !== undefined) target.maxVersions = Number(fields.max_versions);
      if (fields.cas_required !== undefined) target.casRequired = fields.cas_required === true;
      target.updated = now();
      secrets.set(id, target);
      return { status: 204 };
    }
    if (kind === 'metadata' && method === 'DELETE') {
      secrets.delete(id);
      return { status: 204 };
    }
    if (method === 'POST' || method === 'PUT') {
      const versions = versionList(body);
      for (const n of versions) {
        const v = secret?.versions.get(n);
        if (!v) continue;
        if (kind === 'delete' && !v.destroyed) v.deletedAt ??= now();
        if (kind === 'undelete' && !v.destroyed) delete v.deletedAt;
        if (kind === 'destroy') {
          v.destroyed = true;
          delete v.data;
        }
      }
      return { status: 204 };
    }
    throw fail(405, 'unsupported operation');
  }

  function login(mount: string, body: unknown): Reply {
    const fields = (body ?? {}) as Record<string, unknown>;
    const authReply = (policy: Policy) => {
      const clientToken = issue(policy, 3600);
      return {
        status: 200,
        body: wrap(null, { auth: { client_token: clientToken, accessor: tokens.get(clientToken)!.accessor, policies: ['default'], lease_duration: 3600, renewable: true } }),
      };
    };
    const roles = approles.get(mount);
    if (roles) {
      if (typeof fields.role_id !== 'string' || !fields.role_id) throw fail(400, 'missing role_id');
      const role = roles.get(fields.role_id);
      if (!role || role.secretId !== fields.secret_id) throw fail(400, 'invalid role or secret ID');
      return authReply(role.policy);
    }
    const k8s = kubernetes.get(mount);
    if (k8s) {
      if (typeof fields.role !== 'string' || !fields.role) throw fail(400, 'missing role');
      if (typeof fields.jwt !== 'string' || !fields.jwt) throw fail(400, 'missing jwt');
      const role = k8s.get(fields.role);
      if (!role) throw fail(400, `invalid role name "${fields.role}"`);
      if (role.jwt !== fields.jwt) throw fail(403, DENIED);
      return authReply(role.policy);
    }
    throw fail(404, `no handler for route "auth/${mount}/login". route entry not found.`);
  }

  async function route(req: http.IncomingMessage, url: URL, body: unknown): Promise<Reply> {
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\//, ''));
    if (path === 'sys/health') {
      const health = { initialized: true, sealed, standby: false, performance_standby: false, version: '1.99.0-keyrot-test', cluster_name: 'keyrot-test' };
      return { status: sealed ? 503 : 200, body: health };
    }
    if (sealed) throw fail(503, 'Vault is sealed');
    const loginMatch = /^auth\/(.+)\/login$/.exec(path);
    if (loginMatch && method === 'POST') return login(loginMatch[1]!, body);

    const header = req.headers['x-vault-token'];
    const token = authenticate(Array.isArray(header) ? header[0] : header);
    const tokenValue = Array.isArray(header) ? header[0]! : header!;
    if (path === 'auth/token/lookup-self' && method === 'GET') {
      const ttl = token.expiresAt === undefined ? 0 : Math.max(0, Math.round((token.expiresAt - Date.now()) / 1000));
      return {
        status: 200,
        body: wrap({
          accessor: token.accessor, id: tokenValue, policies: token.policy === 'root' ? ['root'] : ['default'], ttl,
          expire_time: token.expiresAt === undefined ? null : new Date(token.expiresAt).toISOString(), renewable: token.expiresAt !== undefined,
        }),
      };
    }
    const uiMount = /^sys\/internal\/ui\/mounts\/(.+)$/.exec(path);
    if (uiMount && method === 'GET') {
      const mount = findMount(uiMount[1]!);
      // Vault answers 403 for a missing mount too, so the endpoint cannot be used to list mounts.
      if (!mount) throw fail(403, DENIED);
      const m = mounts.get(mount)!;
      return { status: 200, body: wrap({ type: m.type, path: `${mount}/`, options: { version: String(m.version) }, description: '', local: false, seal_wrap: false }) };
    }
    const mount = findMount(path);
    if (!mount) throw fail(404, `1 error occurred:\n\t* no handler for route "${path}". route entry not found.\n\n`);
    return kv(method, mount, path.slice(mount.length + 1), url.searchParams, body, token);
  }

  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const namespace = req.headers['x-vault-namespace'] as string | undefined;
        const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, ...(namespace ? { namespace } : {}) };
        requests.push(seen);
        let reply: Reply;
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            throw fail(400, 'failed to parse JSON input');
          }
          reply = (await server.intercept?.({ ...seen, body })) ?? (await route(req, url, body));
        } catch (e) {
          if (!(e instanceof VaultError)) throw e;
          reply = { status: e.status, body: { errors: e.errors } };
        }
        if (res.destroyed) return;
        if (reply.body === undefined) {
          res.writeHead(reply.status).end();
        } else {
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
        }
      })().catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [String(e)] }));
      });
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;

  const server: VaultTestServer = {
    address: `http://127.0.0.1:${port}`,
    rootToken,
    requests,
    createToken: (policy, options) => issue(policy, options?.ttlSeconds),
    expireToken(token) {
      const t = tokens.get(token);
      if (t) t.expiresAt = Date.now() - 1;
    },
    addAppRole(policy, mount = 'approle') {
      const roleId = randomUUID();
      const secretId = randomUUID();
      if (!approles.has(mount)) approles.set(mount, new Map());
      approles.get(mount)!.set(roleId, { secretId, policy });
      return { roleId, secretId };
    },
    addKubernetesRole(role, policy, mount = 'kubernetes') {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const jwt = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: `system:serviceaccount:payments:${role}`, n: randomUUID() })}.${randomBytes(32).toString('base64url')}`;
      if (!kubernetes.has(mount)) kubernetes.set(mount, new Map());
      kubernetes.get(mount)!.set(role, { jwt, policy });
      return { jwt };
    },
    mount: (path, version = 2) => void mounts.set(path, { type: 'kv', version }),
    seal: () => void (sealed = true),
    unseal: () => void (sealed = false),
    put(mount, path, data, customMetadata) {
      const id = key(mount, path);
      const target = secrets.get(id) ?? newSecret();
      secrets.set(id, target);
      if (customMetadata) target.custom = { ...customMetadata };
      return write(target, data).version;
    },
    secret(mount, path) {
      const s = secrets.get(key(mount, path));
      if (!s) return undefined;
      const versions = Object.fromEntries(
        [...s.versions].map(([n, v]) => [n, { data: v.data ? { ...v.data } : undefined, deleted: v.deletedAt !== undefined, destroyed: v.destroyed }]),
      );
      return { currentVersion: s.current, customMetadata: s.custom ? { ...s.custom } : null, versions };
    },
    async close() {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
  return server;
}
