// An Azure Key Vault (secrets) test server, because Lowkey Vault's app jar is not on any registry
// reached here. HTTPS with its own self-signed certificate on 127.0.0.1, plus a plain-HTTP managed
// identity endpoint (App Service style: IDENTITY_ENDPOINT + IDENTITY_HEADER) so DefaultAzureCredential
// works against it. It must behave as the real service does, not as we read the REST reference.
//
// What it reproduces, and where each fact comes from (REST = Key Vault REST reference 7.4-7.6 and the
// spec in Azure/azure-rest-api-specs; REC = the HTTP recordings of Azure/azure-sdk-for-js's
// keyvault-secrets tests, sdk/keyvault/keyvault-secrets/recordings/node/…; SDK = observed from
// @azure/keyvault-secrets 4.11 against this server, pinned by test/providers/azure-keyvault.test.ts):
// - The challenge: a request without a token gets 401 Unauthorized "AKV10000: Request is missing a
//   Bearer or PoP token." and `WWW-Authenticate: Bearer authorization="https://login.windows.net/<tenant>",
//   resource="https://vault.azure.net"` (REC, recording_can_list_secret_versions_non_existing.json); the
//   SDK sends that first request without its body (SDK).
// - 429 Throttled, "Request was not processed because too many requests were received. Reason:
//   VaultRequestTypeLimitReached", with NO Retry-After header by default (real 429 responses quoted in
//   vcsjones/AzureSignTool#219; DESIGN.md test peers); the SDK then does not retry (SDK). A Retry-After
//   variant exists for the case where the service sends one.
// - Versions are listed in ascending order of the upper-cased version id, not by time: three versions
//   written in the same second come back as 6788…, 797c…, 85e1… and the opaque $skiptoken carries the
//   upper-cased id to continue from (REC, recording_can_retrieve_all_versions_of_a_secret_by_page.json;
//   no order is documented: Azure/azure-sdk-for-net#45792, Azure/azure-sdk-for-python#35923).
// - Paging: at most 25 per page (maxresults 1-25, REST), nextLink = the same URL with an opaque
//   $skiptoken (REC), `"nextLink": null` on the last page.
// - Versions of a name that does not exist: 200 `{"value": [], "nextLink": null}` (REC,
//   recording_can_list_secret_versions_non_existing.json).
// - `created`/`updated` in whole seconds; `tags` omitted from a bundle that has none (REC: bundles of
//   versions set without tags carry no `tags` key).
// - PATCH /secrets/{name}/ with no version is accepted and changes the latest version (REST: the
//   version segment of UpdateSecret may be empty; DESIGN.md test peers).
// - A disabled version: GET 403 Forbidden, inner SecretDisabled (REC, recording_cant_get_a_disabled_secret).
// - A deleted secret: GET 404 SecretNotFound; GET /deletedsecrets of a name that is not deleted: 404
//   SecretNotFound "Deleted Secret not found: <name>" (REC); a set on a deleted name: 409 Conflict, inner
//   ObjectIsDeletedButRecoverable (DESIGN.md test peers).
// - For a few seconds after a delete or a recover (`propagationMs`, off by default): reads 404, the
//   deleted-secret entry is not there yet, and a set gets 409 Conflict "Secret is currently being
//   deleted.", inner ObjectIsBeingDeleted (REC: the same 409 on keys, "Key is currently being deleted.";
//   the secret wording is what published test helpers retry on while a purge races the delete).
// - 403 ForbiddenByRbac naming the caller and the data action; error bodies {"error": {code, message,
//   innererror}} (REST).
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
  /** 32 lower-case hex digits, as Key Vault makes them. */
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
  status: number;
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
  /** How long a delete or recover takes to settle (reads 404, a set gets ObjectIsBeingDeleted); 0 = at once. */
  propagationMs: number;
  /** A token allowed only these permissions (as an RBAC role or access policy would). */
  createToken(permissions: Permission[]): string;
  /** The versions of a secret in the order they were written, oldest first (test inspection, not the API's order). */
  versions(name: string): StoredVersion[];
  /** Write a version as another writer would. */
  put(name: string, value: string, tags?: Record<string, string>): StoredVersion;
  /** Delete a secret (soft-delete: the name stays taken until recovered or purged), as DELETE /secrets/{name} does. */
  softDelete(name: string): void;
  /** Recover a deleted secret, as POST /deletedsecrets/{name}/recover does. */
  recover(name: string): void;
  /** The ids the next versions get, in turn (then random again): to arrange the id order of versions. */
  nextVersionIds(...ids: string[]): void;
  /** Stop the clock at this Unix time in seconds (versions written now share one `created`), or restart it. */
  freezeTime(seconds: number | undefined): void;
  /** Answer the next `n` authorized requests with 429 Throttled: without Retry-After, as Key Vault usually does, unless given. */
  throttle(n: number, retryAfter?: { seconds: number } | { ms: number }): void;
  /** Never answer the next `n` requests (a hung vault or network). */
  stall(n: number): void;
  /** Runs when a SetSecret arrives, before it is stored. */
  beforeSet?: (name: string) => void | Promise<void>;
  close(): Promise<void>;
}

interface Secret {
  /** In the order written: the last one is the latest. */
  versions: StoredVersion[];
  deletedDate?: number;
  /** Until when (ms) a delete or recover is still settling. */
  settlingUntil?: number;
}

const NAME = /^[0-9A-Za-z-]{1,127}$/;
const PAGE = 25; // maxresults: 1-25

/** A self-signed certificate for 127.0.0.1 and localhost (also the Kubernetes test API's CA, test/peers/kubernetes-api.ts). */
export function selfSignedCert(): { key: string; cert: string } {
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
  const tenant = '00000000-0000-0000-0000-000000000000';
  const requests: SeenRequest[] = [];
  let throttled = 0;
  let throttleHeaders: Record<string, string> = {};
  let stalled = 0;
  let frozenAt: number | undefined;
  const queuedIds: string[] = [];
  const { key, cert } = selfSignedCert();
  const now = () => frozenAt ?? Math.floor(Date.now() / 1000);

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
    ...(Object.keys(v.tags).length > 0 ? { tags: v.tags } : {}), // Key Vault leaves out tags a version has none of
  });

  const addVersion = (name: string, body: { value: string; contentType?: string; attributes?: { enabled?: boolean; exp?: number; nbf?: number }; tags?: Record<string, string> }) => {
    const secret = secrets.get(name) ?? { versions: [] };
    secrets.set(name, secret);
    const version: StoredVersion = {
      id: queuedIds.shift() ?? randomBytes(16).toString('hex'), value: body.value, contentType: body.contentType, enabled: body.attributes?.enabled ?? true,
      exp: body.attributes?.exp, nbf: body.attributes?.nbf, created: now(), updated: now(), tags: body.tags ?? {},
    };
    secret.versions.push(version);
    return version;
  };

  const settle = (secret: Secret) => {
    secret.settlingUntil = server2.propagationMs > 0 ? Date.now() + server2.propagationMs : undefined;
  };
  const settling = (secret: Secret | undefined) => secret?.settlingUntil !== undefined && Date.now() < secret.settlingUntil;
  const softDelete = (secret: Secret) => {
    secret.deletedDate = now();
    settle(secret);
  };
  const recover = (secret: Secret) => {
    secret.deletedDate = undefined;
    settle(secret);
  };

  // $skiptoken: opaque to clients; like Key Vault's, base64 JSON naming the upper-cased id to continue after.
  const skiptoken = (after: string) => Buffer.from(JSON.stringify({ NextMarker: after.toUpperCase(), TargetLocation: 0 })).toString('base64url');
  const markerOf = (token: string): string | undefined => {
    try {
      const marker = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { NextMarker?: unknown }).NextMarker;
      return typeof marker === 'string' ? marker : undefined;
    } catch {
      return undefined;
    }
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
    const live = secret && secret.deletedDate === undefined && !settling(secret) ? secret : undefined;

    if (collection === 'secrets' && method === 'PUT' && parts.length === 2) {
      const denied = need('set');
      if (denied) return denied;
      const input = body as Parameters<typeof addVersion>[1] | undefined;
      if (!NAME.test(name)) return error(400, 'BadParameter', 'The request URI contains an invalid name: ' + name);
      if (typeof input?.value !== 'string') return error(400, 'BadParameter', 'Property value is required.');
      if (Object.keys(input.tags ?? {}).length > 15) return error(400, 'BadParameter', 'Tags cannot exceed 15.');
      if (settling(secret)) return error(409, 'Conflict', 'Secret is currently being deleted.', 'ObjectIsBeingDeleted');
      if (secret?.deletedDate !== undefined) {
        return error(409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable');
      }
      await server2.beforeSet?.(name);
      return { status: 200, body: bundle(name, addVersion(name, input), true) };
    }
    if (collection === 'secrets' && method === 'GET' && rest === 'versions' && parts.length === 3) {
      const denied = need('list');
      if (denied) return denied;
      const asked = url.searchParams.get('maxresults');
      const size = asked === null ? PAGE : Number(asked);
      if (!Number.isInteger(size) || size < 1 || size > PAGE) return error(400, 'BadParameter', `maxresults must be between 1 and ${PAGE}.`);
      const token = url.searchParams.get('$skiptoken');
      const after = token === null ? '' : markerOf(token);
      if (after === undefined) return error(400, 'BadParameter', 'The $skiptoken is not valid.');
      // Ascending upper-cased version id: not the order they were written in. A missing name has no versions.
      const listed = [...(live?.versions ?? [])].sort((x, y) => (x.id.toUpperCase() < y.id.toUpperCase() ? -1 : 1)).filter((v) => v.id.toUpperCase() > after);
      const page = listed.slice(0, size).map((v) => bundle(name, v, false));
      const query = `api-version=${url.searchParams.get('api-version')}&$skiptoken=${skiptoken(page.at(-1)?.id.split('/').pop() ?? '')}${asked === null ? '' : `&maxresults=${size}`}`;
      return { status: 200, body: { value: page, nextLink: listed.length > size ? `${vaultUrl}/secrets/${name}/versions?${query}` : null } };
    }
    if (collection === 'secrets' && (method === 'GET' || method === 'PATCH') && parts.length <= 3) {
      const denied = need(method === 'GET' ? 'get' : 'set');
      if (denied) return denied;
      if (!live) return notFound(name);
      // No version (GET /secrets/{name} or PATCH /secrets/{name}/): the latest, the last one written.
      const version = rest ? live.versions.find((v) => v.id === rest.toLowerCase()) : live.versions[live.versions.length - 1];
      if (!version) return notFound(`${name}/${rest}`);
      if (method === 'GET') {
        if (!version.enabled) return error(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
        return { status: 200, body: bundle(name, version, true) };
      }
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
      softDelete(live);
      return { status: 200, body: { ...bundle(name, live.versions[live.versions.length - 1]!, false), recoveryId: `${vaultUrl}/deletedsecrets/${name}`, deletedDate: live.deletedDate } };
    }
    if (collection === 'deletedsecrets') {
      const denied = need(method === 'DELETE' ? 'purge' : method === 'POST' ? 'recover' : 'list');
      if (denied) return denied;
      // While a delete settles, the deleted secret is not listed yet.
      if (!secret || secret.deletedDate === undefined || settling(secret)) return error(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
      const latest = secret.versions[secret.versions.length - 1]!;
      if (method === 'GET') return { status: 200, body: { ...bundle(name, latest, false), recoveryId: `${vaultUrl}/deletedsecrets/${name}`, deletedDate: secret.deletedDate } };
      if (method === 'DELETE') {
        secrets.delete(name);
        return { status: 204 };
      }
      if (method === 'POST' && rest === 'recover') {
        recover(secret);
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
        if (stalled > 0) {
          stalled -= 1;
          return; // no answer at all, until the client gives up or the server closes
        }
        let answer: Answer;
        if (!caller) {
          // The challenge: the SDK first sends each request without a token (and without its body).
          answer = {
            ...error(401, 'Unauthorized', auth ? 'AKV10032: Invalid issuer.' : 'AKV10000: Request is missing a Bearer or PoP token.'),
            headers: { 'www-authenticate': `Bearer authorization="https://login.windows.net/${tenant}", resource="https://vault.azure.net"` },
          };
        } else if (throttled > 0) {
          throttled -= 1;
          answer = { ...error(429, 'Throttled', 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached'), headers: throttleHeaders };
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
        requests.push({ method: req.method ?? '', path: url.pathname, apiVersion: url.searchParams.get('api-version'), authorized: caller !== undefined, status: answer.status });
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
    const expires = Math.floor(Date.now() / 1000) + 3600; // real time, even with the vault clock frozen
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      access_token: rootToken, expires_on: String(expires), resource: url.searchParams.get('resource') ?? '', token_type: 'Bearer', client_id: 'keyrot-test',
    }));
  });
  await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
  const identityPort = (identity.address() as AddressInfo).port;

  const server2: KeyVaultTestServer = {
    vaultUrl,
    ca: cert,
    token: rootToken,
    identityEnv: { IDENTITY_ENDPOINT: `http://127.0.0.1:${identityPort}/msi/token`, IDENTITY_HEADER: identityHeader },
    requests,
    propagationMs: 0,
    createToken: newToken,
    versions: (name) => secrets.get(name)?.versions ?? [],
    put: (name, value, tags) => addVersion(name, { value, tags }),
    softDelete(name) {
      const secret = secrets.get(name);
      if (secret) softDelete(secret);
    },
    recover(name) {
      const secret = secrets.get(name);
      if (secret) recover(secret);
    },
    nextVersionIds(...ids) {
      queuedIds.push(...ids.map((id) => id.toLowerCase()));
    },
    freezeTime(seconds) {
      frozenAt = seconds;
    },
    throttle(n, retryAfter) {
      throttled = n;
      throttleHeaders = !retryAfter ? {} : 'ms' in retryAfter ? { 'retry-after-ms': String(retryAfter.ms) } : { 'retry-after': String(retryAfter.seconds) };
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
