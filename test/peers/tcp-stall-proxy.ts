// A TCP proxy (keyrot -> proxy -> a server speaking any protocol: PostgreSQL, MySQL, Redis) that,
// while stalling, passes the server's answer through only up to a point and then holds the rest:
// the client has the start of an answer (a message header, a greeting's first bytes) and waits for
// the remainder, which never comes. What forwarding-proxy's `stall-body` does for HTTP, for protocols
// the HTTP proxy cannot read. Bytes from the client always reach the server.
import net from 'node:net';

export interface TcpStallProxy {
  readonly host: string;
  readonly port: number;
  /**
   * From now on, each new connection gets only the first `afterBytes` bytes the server sends, then
   * nothing (undefined: forward everything again, for connections made from then on).
   */
  stall(afterBytes: number | undefined): void;
  /** Connections that were stalled. */
  readonly stalled: number;
  close(): Promise<void>;
}

export async function startTcpStallProxy(targetHost: string, targetPort: number): Promise<TcpStallProxy> {
  let afterBytes: number | undefined;
  let stalled = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const limit = afterBytes;
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined); // the other side's close ends this one
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    if (limit === undefined) return void upstream.pipe(client);
    stalled += 1;
    let passed = 0;
    upstream.on('data', (chunk: Buffer) => {
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
    stall: (n) => void (afterBytes = n),
    get stalled() {
      return stalled;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
