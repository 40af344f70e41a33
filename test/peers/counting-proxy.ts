// A proxy in front of moto (keyrot -> proxy -> moto) that counts every IAM and STS call by its query
// Action, at the server side: what a rotation or a revoke really asks of AWS. It can also refuse an
// action as IAM does when a policy denies it (403 AccessDenied), without the call reaching moto.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  endpoint: string;
  /** The calls seen since the last take, by action, and forget them. */
  take(): Record<string, number>;
  /** From now on answer these actions with AccessDenied (counted all the same); none: forward all. */
  deny(actions: string[]): void;
  /** From now on never answer these actions (counted all the same): an endpoint that stalls. */
  stall(actions: string[]): void;
  close(): Promise<void>;
}

const accessDenied = (action: string) =>
  '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
  `<Message>User is not authorized to perform: iam:${action}</Message></Error><RequestId>denied</RequestId></ErrorResponse>`;

/** Forwards every request unchanged (Host too: AWS signs it) and counts it by its query Action. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let counts: Record<string, number> = {};
  let denied = new Set<string>();
  let stalled = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? `${req.method} ${req.url}`;
      counts[action] = (counts[action] ?? 0) + 1;
      if (stalled.has(action)) return;
      if (denied.has(action)) {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(accessDenied(action));
        return;
      }
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    take() {
      const seen = counts;
      counts = {};
      return seen;
    },
    deny(actions) {
      denied = new Set(actions);
    },
    stall(actions) {
      stalled = new Set(actions);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
