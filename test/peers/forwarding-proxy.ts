// An HTTP proxy in front of a real Vault (OpenBao) that can run an action just before it forwards the
// next KV v2 data write: how tests put a concurrent writer between keyrot's read and write. An action
// that returns an answer replaces the write (a fault: the write never reaches the server).
// With `injectFaults`, any request (to Vault or to moto) can instead be throttled, answered with a 5xx,
// have its connection reset, or stall unanswered, as the chooser decides (the reliability harness);
// or it is forwarded and its real answer's status and headers come back, then the body stalls
// (`stall-body`: nothing more) or trickles one byte at a time and never ends (`drip-body`: no idle
// timeout fires, only a deadline over the whole call ends it). With `tls`, the proxy listens on HTTPS
// (a client that insists on TLS, as the Azure SDK does for a bearer token).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  body?: unknown;
}

export type Fault = 'throttle' | 'error' | 'reset' | 'stall' | 'stall-body' | 'drip-body';
export const FAULTS: readonly Fault[] = ['throttle', 'error', 'reset', 'stall', 'stall-body', 'drip-body'];

/** How often a dripping body sends its next byte: well inside any request timeout a test sets. */
const DRIP_MS = 300;

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
export interface ProxyOptions {
  keepHost?: boolean;
  /** Listen on HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

/** The upstream's status and headers, then a body that never ends: nothing more, or one byte at a time. */
function stallBody(res: http.ServerResponse, answer: http.IncomingMessage, kind: 'stall-body' | 'drip-body'): void {
  answer.resume(); // the real body is dropped: the client only ever gets its first bytes
  const headers = { ...answer.headers, 'content-length': String(1 << 20) };
  delete headers['transfer-encoding'];
  res.writeHead(answer.statusCode ?? 200, headers);
  res.flushHeaders();
  if (kind === 'stall-body') return;
  const drip = setInterval(() => res.write(' '), DRIP_MS);
  res.on('close', () => clearInterval(drip));
}

export async function startForwardingProxy(target: string, caFile?: string, options: ProxyOptions = {}): Promise<ForwardingProxy> {
  const upstream = new URL(target);
  const ca = caFile ? readFileSync(caFile) : undefined;
  let pending: (() => Promise<void | Answer>) | undefined;
  let choose: ((req: http.IncomingMessage) => Fault | undefined) | undefined;
  const injected = Object.fromEntries(FAULTS.map((f) => [f, 0])) as Record<Fault, number>;

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chosen = choose?.(req);
    if (chosen) injected[chosen]++;
    const late = chosen === 'stall-body' || chosen === 'drip-body' ? chosen : undefined;
    if (chosen && !late) {
      req.resume();
      if (chosen === 'reset') return void req.socket.destroy();
      if (chosen === 'stall') return void setTimeout(() => req.socket.destroy(), 60_000).unref(); // the client's timeout ends it first
      const answer = faultAnswer(req, chosen as 'throttle' | 'error');
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
          if (late) return stallBody(res, answer, late);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => res.writeHead(502).end());
        out.end(Buffer.concat(chunks));
      })();
    });
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    beforeNextDataWrite: (action) => void (pending = action),
    injectFaults: (chooser) => void (choose = chooser),
    injected,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
