// An HTTP proxy in front of a real Vault (OpenBao) that can run an action just before it forwards the
// next KV v2 data write: how tests put a concurrent writer between keyrot's read and write. An action
// that returns an answer replaces the write (a fault: the write never reaches the server).
// With `injectFaults`, any request (to Vault or to moto) can instead be throttled, answered with a 5xx,
// have its connection reset, or stall unanswered, as the chooser decides (the reliability harness).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  body?: unknown;
}

export type Fault = 'throttle' | 'error' | 'reset' | 'stall';

export interface ForwardingProxy {
  readonly address: string;
  beforeNextDataWrite(action: () => Promise<void | Answer>): void;
  /** From now on, ask `choose` about every request: a fault to inject instead of forwarding it, or none. */
  injectFaults(choose: ((req: http.IncomingMessage) => Fault | undefined) | undefined): void;
  /** Faults injected so far, by kind. */
  readonly injected: Record<Fault, number>;
  close(): Promise<void>;
}

/** A throttling or server error as the service behind would answer it: AWS query (IAM, STS), AWS JSON (Secrets Manager) or Vault. */
function faultAnswer(req: http.IncomingMessage, kind: 'throttle' | 'error'): { status: number; type: string; body: string } {
  if (req.url?.startsWith('/v1/')) {
    return kind === 'throttle'
      ? { status: 429, type: 'application/json', body: JSON.stringify({ errors: ['request path "x": rate limit quota exceeded'] }) }
      : { status: 503, type: 'application/json', body: JSON.stringify({ errors: ['Vault is temporarily unavailable'] }) };
  }
  const [status, code, message] = kind === 'throttle' ? [400, 'Throttling', 'Rate exceeded'] : [503, 'ServiceUnavailable', 'Service is unavailable'];
  if (req.headers['x-amz-target']) return { status, type: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: kind === 'throttle' ? 'ThrottlingException' : 'ServiceUnavailableException', message }) };
  return { status, type: 'text/xml', body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>` };
}

/**
 * `keepHost`: forward the client's Host header unchanged (AWS signs it: moto with signature checks on
 * refuses a request whose Host was rewritten).
 */
export async function startForwardingProxy(target: string, caFile?: string, options: { keepHost?: boolean } = {}): Promise<ForwardingProxy> {
  const upstream = new URL(target);
  const ca = caFile ? readFileSync(caFile) : undefined;
  let pending: (() => Promise<void | Answer>) | undefined;
  let choose: ((req: http.IncomingMessage) => Fault | undefined) | undefined;
  const injected: Record<Fault, number> = { throttle: 0, error: 0, reset: 0, stall: 0 };

  const server = http.createServer((req, res) => {
    const fault = choose?.(req);
    if (fault) {
      injected[fault]++;
      req.resume();
      if (fault === 'reset') return void req.socket.destroy();
      if (fault === 'stall') return void setTimeout(() => req.socket.destroy(), 60_000).unref(); // the client's timeout ends it first
      const answer = faultAnswer(req, fault);
      return void res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
    }
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
        const headers = options.keepHost ? req.headers : { ...req.headers, host: upstream.host };
        const out = lib.request(url, { method: req.method, headers, ...(ca ? { ca } : {}) }, (answer) => {
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
    injectFaults: (chooser) => void (choose = chooser),
    injected,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
