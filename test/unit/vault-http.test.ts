// keyrot's own HTTP layer under node-vault (src/vault/http.ts), against a local HTTPS server that answers
// as Vault does: the CA file is trusted and nothing else, a 307 from a standby is followed with the
// token and body, one keep-alive connection serves many calls, and a silent server is a timeout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors.js';
import { connect } from '../../src/vault/client.js';
import { kv2 } from '../../src/vault/kv2.js';
import { selfSignedCert } from '../peers/azure-keyvault-server.js';

let server: https.Server;
let address: string;
let dir: string;
let connections = 0;
const seen: { method: string; url: string; token: string | undefined; body: string }[] = [];
let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;

beforeAll(async () => {
  const { key, cert } = selfSignedCert();
  dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-vault-http-'));
  writeFileSync(path.join(dir, 'ca.pem'), cert);
  server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, token: req.headers['x-vault-token'] as string | undefined, body });
      handle(req, res, body);
    });
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const kvAnswer = (version: number) => ({ data: { data: { api_key: 'v' }, metadata: { version, custom_metadata: null } } });

function store(tls: { caFile?: string; skipVerify: boolean } | undefined, timeout = 5_000) {
  const ctx = { planDir: dir, env: {}, note: () => undefined };
  const conn = connect({ address, timeout, ...(tls ? { tls } : {}) }, ctx, 'test');
  conn.client.token = 'tok-123';
  return kv2(conn, 'secret', 'apps/x', 'vault secret/apps/x', () => undefined);
}

describe('the HTTP layer under node-vault', () => {
  it('trusts the CA file, reuses one keep-alive connection, and sends the token and the JSON body', async () => {
    handle = (req, res) => (req.method === 'GET' ? json(res, 200, kvAnswer(3)) : json(res, 200, { data: { version: 4 } }));
    const kv = store({ caFile: 'ca.pem', skipVerify: false });
    connections = 0;
    seen.length = 0;
    for (let i = 0; i < 5; i++) expect((await kv.read())?.version).toBe(3);
    expect(await kv.write({ api_key: 'new' }, 3, [])).toBe(4);
    expect(connections).toBe(1);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/secret/data/apps/x', token: 'tok-123' });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ data: { api_key: 'new' }, options: { cas: 3 } });
  });

  it('refuses a certificate it was not told to trust, unless skipVerify', async () => {
    handle = (_req, res) => json(res, 200, kvAnswer(1));
    const refused = await store(undefined).read().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KeyrotError);
    expect((refused as KeyrotError).message).toMatch(/TLS connection to .* failed/);
    expect((await store({ skipVerify: true }).read())?.version).toBe(1);
  });

  it('answers Vault errors as node-vault did: status and errors list (a cas conflict, a 404 with metadata)', async () => {
    handle = (req, res) =>
      req.method === 'POST'
        ? json(res, 400, { errors: ['check-and-set parameter did not match the current version'] })
        : json(res, 404, { errors: [], data: { metadata: { version: 7, deletion_time: '2026-01-01T00:00:00Z' } } });
    const kv = store({ caFile: 'ca.pem', skipVerify: false });
    expect(await kv.write({ api_key: 'x' }, 1, [])).toBe('cas-mismatch');
    expect(await kv.read()).toMatchObject({ version: 7, deleted: true });
  });

  it('follows a standby\'s 307 to the active node with the same method, token and body', async () => {
    handle = (req, res) => {
      if (req.url!.startsWith('/standby/')) return json(res, 200, { data: { version: 9 } });
      res.writeHead(307, { location: `${address}/standby${req.url}` }).end();
    };
    seen.length = 0;
    expect(await store({ caFile: 'ca.pem', skipVerify: false }).write({ api_key: 'y' }, 8, [])).toBe(9);
    expect(seen.map((s) => [s.method, s.url, s.token])).toEqual([
      ['POST', '/v1/secret/data/apps/x', 'tok-123'],
      ['POST', '/standby/v1/secret/data/apps/x', 'tok-123'],
    ]);
    expect(JSON.parse(seen[1]!.body)).toEqual({ data: { api_key: 'y' }, options: { cas: 8 } });
  });

  it('gives up on a server that does not answer within the timeout: a timeout, naming the operation', async () => {
    handle = () => undefined; // never answers
    const e = await store({ caFile: 'ca.pem', skipVerify: false }, 300).read().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(KeyrotError);
    expect((e as KeyrotError).code).toBe('provider-timeout');
  });
});
