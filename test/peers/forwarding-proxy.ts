// An HTTP proxy in front of a real Vault (OpenBao) that can run an action just before it forwards the
// next KV v2 data write: how tests put a concurrent writer between keyrot's read and write. An action
// that returns an answer replaces the write (a fault: the write never reaches the server).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  body?: unknown;
}

export interface ForwardingProxy {
  readonly address: string;
  beforeNextDataWrite(action: () => Promise<void | Answer>): void;
  close(): Promise<void>;
}

export async function startForwardingProxy(target: string, caFile?: string): Promise<ForwardingProxy> {
  const upstream = new URL(target);
  const ca = caFile ? readFileSync(caFile) : undefined;
  let pending: (() => Promise<void | Answer>) | undefined;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (req.method === 'POST' && /^\/v1\/.+\/data\//.test(req.url ?? '') && pending) {
          const action = pending;
          pending = undefined;
          const answer = await action();
          if (answer) {
            res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body ?? {}));
            return;
          }
        }
        const url = new URL(req.url ?? '/', upstream);
        const lib = url.protocol === 'https:' ? https : http;
        const out = lib.request(url, { method: req.method, headers: { ...req.headers, host: upstream.host }, ...(ca ? { ca } : {}) }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => res.writeHead(502).end());
        out.end(Buffer.concat(chunks));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    beforeNextDataWrite: (action) => void (pending = action),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
