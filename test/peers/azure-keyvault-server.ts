// An Azure Key Vault (secrets) test server, written from the Key Vault REST API reference (7.x:
// SetSecret, GetSecret, GetSecretVersions, UpdateSecret, DeleteSecret, Get/Purge/RecoverDeletedSecret),
// because Lowkey Vault's app jar is not on Maven Central. It reproduces what keyrot depends on: HTTPS
// with its own self-signed certificate, the 401 bearer challenge the SDK answers, per-version tags and
// attributes, a disabled version refusing `get` (403 SecretDisabled), soft-deleted names (409),
// Key Vault's {"error": {...}} bodies for 404 / 403 (RBAC) / 429, and paged version lists (nextLink).
// A plain-HTTP managed identity endpoint (App Service style: IDENTITY_ENDPOINT + IDENTITY_HEADER) hands
// out tokens so DefaultAzureCredential works against it. Both listen on 127.0.0.1, free ports.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type Permission = 'get' | 'list' | 'set' | 'delete' | 'recover' | 'purge';
const ALL: Permission[] = ['get', 'list', 'set', 'delete', 'recover', 'purge'];

export interface StoredVersion {
  id: string;
  value: string;
  contentType?: string;
  enabled: boolean;
  exp?: number;
  nbf?: number;
  created: number;
  updated: number;
  tags: Record<string, string>;
}

export interface SeenRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  authorized: boolean;
}

export interface KeyVaultTestServer {
  readonly vaultUrl: string;
  /** PEM of the server's self-signed certificate: trust it through the client's TLS options. */
  readonly ca: string;
  /** A token with every permission. */
  readonly token: string;
  /** For DefaultAzureCredential: IDENTITY_ENDPOINT and IDENTITY_HEADER. */
  readonly identityEnv: Record<string, string>;
  /** Every request, without bodies or tokens. */
  readonly requests: SeenRequest[];
  /** A token allowed only these permissions (as an RBAC role or access policy would). */
  createToken(permissions: Permission[]): string;
  /** The versions of a secret, oldest first (test inspection). */
  versions(name: string): StoredVersion[];
  /** Write a version as another writer would. */
  put(name: string, value: string, tags?: Record<string, string>): StoredVersion;
  /** Delete a secret (soft-delete: the name stays taken until recovered or purged). */
  softDelete(name: string): void;
  /** Answer the next `n` requests with 429 (Retry-After in ms, so SDK retries are quick). */
  throttle(n: number): void;
  /** Never answer the next `n` requests (a hung vault or network). */
  stall(n: number): void;
  /** Runs when a SetSecret arrives, before it is stored. */
  beforeSet?: (name: string) => void | Promise<void>;
  close(): Promise<void>;
}

interface Secret {
  versions: StoredVersion[];
  deletedDate?: number;
}

const NAME = /^[0-9A-Za-z-]{1,127}$/;
const now = () => Math.floor(Date.now() / 1000);

function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-kv-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=keyrot-test-keyvault', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const RBAC_ACTION: Record<Permission, string> = {
  get: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  list: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  set: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  delete: 'Microsoft.KeyVault/vaults/secrets/delete',
  recover: 'Microsoft.KeyVault/vaults/secrets/recover/action',
  purge: 'Microsoft.KeyVault/vaults/secrets/purge/action',
};

export async function startKeyVaultServer(): Promise<KeyVaultTestServer> {
  const secrets = new Map<string, Secret>();
  const tokens = new Map<string, { oid: string; permissions: Permission[] }>();
  const identityHeader = randomBytes(8).toString('hex');
  const requests: SeenRequest[] = [];
  let throttled = 0;
  let stalled = 0;
  const { key, cert } = selfSignedCert();

  const newToken = (permissions: Permission[]) => {
    const token = `kvtest.${randomBytes(12).toString('hex')}`;
    tokens.set(token, { oid: `00000000-0000-0000-0000-${randomBytes(6).toString('hex')}`, permissions });
    return token;
  };
  const rootToken = newToken(ALL);

  const server = https.createServer({ key, cert });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const vaultUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const bundle = (name: string, v: StoredVersion, withValue: boolean) => ({
    ...(withValue ? { value: v.value } : {}),
    id: `${vaultUrl}/secrets/${name}/${v.id}`,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    attributes: {
      enabled: v.enabled, created: v.created, updated: v.updated, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90,
      ...(v.exp !== undefined ? { exp: v.exp } : {}), ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    },
    tags: v.tags,
  });

  const addVersion = (name: string, body: { value: string; contentType?: string; attributes?: { enabled?: boolean; exp?: number; nbf?: number }; tags?: Record<string, string> }) => {
    const secret = secrets.get(name) ?? { versions: [] };
    secrets.set(name, secret);
    const version: StoredVersion = {
      id: randomBytes(16).toString('hex'), value: body.value, contentType: body.contentType, enabled: body.attributes?.enabled ?? true,
      exp: body.attributes?.exp, nbf: body.attributes?.nbf, created: now(), updated: now(), tags: body.tags ?? {},
    };
    secret.versions.push(version);
    return version;
  };

  type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
  const error = (status: number, code: string, message: string, inner?: string): Answer => ({
    status, body: { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } },
  });
  const notFound = (name: string) =>
    error(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);

  async function handle(method: string, url: URL, body: unknown, caller: { oid: string; permissions: Permission[] }): Promise<Answer> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [collection, name = '', rest] = parts;
    const need = (permission: Permission): Answer | undefined =>
      caller.permissions.includes(permission)
        ? undefined
        : error(403, 'Forbidden',
          `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=keyrot-test;oid=${caller.oid};iss=https://sts.windows.net/test/\r\nAction: '${RBAC_ACTION[permission]}'\r\nResource: '/subscriptions/test/resourcegroups/test/providers/microsoft.keyvault/vaults/test/secrets/${name}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: test;location=local\r\n`,
          'ForbiddenByRbac');
    const secret = secrets.get(name);
    const live = secret && secret.deletedDate === undefined ? secret : undefined;

    if (collection === 'secrets' && method === 'PUT' && parts.length === 2) {
      const denied = need('set');
      if (denied) return denied;
      const input = body as Parameters<typeof addVersion>[1] | undefined;
      if (!NAME.test(name)) return error(400, 'BadParameter', 'The request URI contains an invalid name: ' + name);
      if (typeof input?.value !== 'string') return error(400, 'BadParameter', 'Property value is required.');
      if (Object.keys(input.tags ?? {}).length > 15) return error(400, 'BadParameter', 'Tags cannot exceed 15.');
      if (secret?.deletedDate !== undefined) {
        return error(409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable');
      }
      await server2.beforeSet?.(name);
      return { status: 200, body: bundle(name, addVersion(name, input), true) };
    }
    if (collection === 'secrets' && method === 'GET' && rest === 'versions') {
      const denied = need('list');
      if (denied) return denied;
      if (!live) return notFound(name);
      const size = Math.min(Number(url.searchParams.get('maxresults') ?? 25) || 25, server2.pageSize);
      const from = Number(url.searchParams.get('$skiptoken') ?? 0);
      const page = live.versions.slice(from, from + size).map((v) => {
        const { value: _value, ...item } = bundle(name, v, false) as ReturnType<typeof bundle> & { value?: string };
        return item;
      });
      const next = from + size < live.versions.length ? `${vaultUrl}/secrets/${name}/versions?api-version=${url.searchParams.get('api-version')}&maxresults=${size}&$skiptoken=${from + size}` : null;
      return { status: 200, body: { value: page, nextLink: next } };
    }
    if (collection === 'secrets' && (method === 'GET' || method === 'PATCH') && parts.length <= 3) {
      const denied = need(method === 'GET' ? 'get' : 'set');
      if (denied) return denied;
      if (!live) return notFound(name);
      const version = rest ? live.versions.find((v) => v.id === rest) : live.versions[live.versions.length - 1];
      if (!version) return notFound(`${name}/${rest}`);
      if (method === 'GET') {
        if (!version.enabled) return error(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
        return { status: 200, body: bundle(name, version, true) };
      }
      if (!rest) return error(405, 'MethodNotAllowed', 'UpdateSecret needs a version');
      const patch = (body ?? {}) as { contentType?: string; attributes?: { enabled?: boolean; exp?: number; nbf?: number }; tags?: Record<string, string> };
      if (patch.attributes?.enabled !== undefined) version.enabled = patch.attributes.enabled;
      if (patch.attributes?.exp !== undefined) version.exp = patch.attributes.exp;
      if (patch.contentType !== undefined) version.contentType = patch.contentType;
      if (patch.tags !== undefined) version.tags = patch.tags;
      version.updated = now();
      return { status: 200, body: bundle(name, version, false) };
    }
    if (collection === 'secrets' && method === 'DELETE' && parts.length === 2) {
      const denied = need('delete');
      if (denied) return denied;
      if (!live) return notFound(name);
      live.deletedDate = now();
      return { status: 200, body: { ...bundle(name, live.versions[live.versions.length - 1]!, false), recoveryId: `${vaultUrl}/deletedsecrets/${name}`, deletedDate: live.deletedDate } };
    }
    if (collection === 'deletedsecrets') {
      const denied = need(method === 'DELETE' ? 'purge' : method === 'POST' ? 'recover' : 'list');
      if (denied) return denied;
      if (!secret || secret.deletedDate === undefined) return error(404, 'DeletedSecretNotFound', `Deleted Secret not found: ${name}`);
      const latest = secret.versions[secret.versions.length - 1]!;
      if (method === 'GET') return { status: 200, body: { ...bundle(name, latest, false), recoveryId: `${vaultUrl}/deletedsecrets/${name}`, deletedDate: secret.deletedDate } };
      if (method === 'DELETE') {
        secrets.delete(name);
        return { status: 204 };
      }
      if (method === 'POST' && rest === 'recover') {
        secret.deletedDate = undefined;
        return { status: 200, body: bundle(name, latest, false) };
      }
    }
    return error(400, 'BadParameter', `no such operation: ${method} ${url.pathname}`);
  }

  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', vaultUrl);
        const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const caller = auth ? tokens.get(auth) : undefined;
        requests.push({ method: req.method ?? '', path: url.pathname, apiVersion: url.searchParams.get('api-version'), authorized: caller !== undefined });
        let answer: Answer;
        if (stalled > 0) {
          stalled -= 1;
          return; // no answer at all, until the client gives up or the server closes
        }
        if (throttled > 0) {
          throttled -= 1;
          answer = { ...error(429, 'Throttled', 'Request was not processed because too many requests were received.'), headers: { 'retry-after-ms': '20' } };
        } else if (!caller) {
          // The challenge: the SDK first sends each request without a token (and without its body).
          answer = {
            ...error(401, 'Unauthorized', auth ? 'AKV10032: Invalid issuer.' : 'AKV10000: Request is missing a Bearer or PoP token.'),
            headers: { 'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"' },
          };
        } else if (!url.searchParams.get('api-version')) {
          answer = error(400, 'BadParameter', 'The api-version query parameter is missing.');
        } else {
          let body: unknown;
          try {
            body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
          } catch {
            body = undefined;
          }
          answer = await handle(req.method ?? 'GET', url, body, caller);
        }
        res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      })();
    });
  });

  // Managed identity, App Service style: GET ?resource=…&api-version=2019-08-01 with X-IDENTITY-HEADER.
  const identity = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers['x-identity-header'] !== identityHeader) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const expires = now() + 3600;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      access_token: rootToken, expires_on: String(expires), resource: url.searchParams.get('resource') ?? '', token_type: 'Bearer', client_id: 'keyrot-test',
    }));
  });
  await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
  const identityPort = (identity.address() as AddressInfo).port;

  const server2: KeyVaultTestServer & { pageSize: number } = {
    vaultUrl,
    ca: cert,
    token: rootToken,
    identityEnv: { IDENTITY_ENDPOINT: `http://127.0.0.1:${identityPort}/msi/token`, IDENTITY_HEADER: identityHeader },
    requests,
    pageSize: 2, // small pages, so the client's paging is exercised
    createToken: newToken,
    versions: (name) => secrets.get(name)?.versions ?? [],
    put: (name, value, tags) => addVersion(name, { value, tags }),
    softDelete(name) {
      const secret = secrets.get(name);
      if (secret) secret.deletedDate = now();
    },
    throttle(n) {
      throttled = n;
    },
    stall(n) {
      stalled = n;
    },
    async close() {
      server.closeAllConnections();
      identity.closeAllConnections();
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => identity.close(r))]);
    },
  };
  return server2;
}
