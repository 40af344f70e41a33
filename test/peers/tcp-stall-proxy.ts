// A TCP proxy (keyrot -> proxy -> a server speaking any protocol: PostgreSQL, MySQL, Redis) that,
// while stalling, passes the server's answer through only up to a point and then holds the rest:
// the client has the start of an answer (a message header, a greeting's first bytes) and waits for
// the remainder, which never comes. What forwarding-proxy's `stall-body` does for HTTP, for protocols
// the HTTP proxy cannot read, or for an HTTP request Node's server cannot parse (Vault's LIST): with
// 'http-headers', the answer passes up to the blank line that ends its headers. Bytes from the client
// always reach the server.
import net from 'node:net';

/** Where a stalled answer stops: after this many bytes, or after an HTTP answer's headers. */
export type StallPoint = number | 'http-headers';

export interface TcpStallProxy {
  readonly host: string;
  readonly port: number;
  /**
   * From now on, each new connection gets only the server's bytes up to `after`, then nothing
   * (undefined: forward everything again, for connections made from then on).
   */
  stall(after: StallPoint | undefined): void;
  /** Connections that were stalled. */
  readonly stalled: number;
  close(): Promise<void>;
}

export async function startTcpStallProxy(targetHost: string, targetPort: number): Promise<TcpStallProxy> {
  let after: StallPoint | undefined;
  let stalled = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const point = after;
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined); // the other side's close ends this one
    }
    client.on('close', () => upstream.destroy());
    // A stalled connection stays open when the server closes its side (an HTTP server that answered
    // "Connection: close"): the client must see the rest never come, not the connection end.
    upstream.on('close', () => {
      if (point === undefined) client.destroy();
    });
    client.pipe(upstream);
    if (point === undefined) return void upstream.pipe(client);
    stalled += 1;
    let passed = 0;
    let seen = Buffer.alloc(0); // 'http-headers': the answer so far, until its headers end
    let limit = typeof point === 'number' ? point : Number.POSITIVE_INFINITY;
    upstream.on('data', (chunk: Buffer) => {
      if (point === 'http-headers' && limit === Number.POSITIVE_INFINITY) {
        seen = Buffer.concat([seen, chunk]);
        const end = seen.indexOf('\r\n\r\n');
        if (end >= 0) limit = end + 4;
      }
      const room = Math.max(0, limit - passed);
      if (room > 0) client.write(chunk.subarray(0, room));
      passed += chunk.length; // the rest is dropped: the client waits for it forever
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    stall: (n) => void (after = n),
    get stalled() {
      return stalled;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
