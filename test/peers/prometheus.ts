// Prometheus (Debian's package, 2.42) as the usage-gate test peer: installed on first use by
// scripts/test-peers/prometheus.sh, started on 127.0.0.1 on a free port with its own tsdb folder and a
// 1 s scrape interval, scraping a small exporter the test starts. The exporter counts requests per
// key id; the test decides which key its fake consumer sends, and when it switches.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(REPO, 'scripts', 'test-peers', 'prometheus.sh');

export const SCRAPE_MS = 1_000;

/** Install Prometheus if needed (apt, seconds to a minute the first time) and return its path. */
export async function installPrometheus(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [SCRIPT, 'install'], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop()!;
}

/** A service's metrics: api_requests_total{key_id=…}, and a consumer sending one request per tick with the key it is given. */
export interface Exporter {
  /** host:port, for Prometheus' scrape config. */
  readonly target: string;
  /** The metrics text as Prometheus reads it. */
  metrics(): string;
  /** Count `n` requests made with `keyId` now. */
  request(keyId: string, n?: number): void;
  /** From now on the fake consumer sends every 100 ms with this key; null: it stops sending. */
  consumer(keyId: string | null): void;
  stop(): Promise<void>;
}

export async function startExporter(): Promise<Exporter> {
  const counts = new Map<string, number>();
  let using: string | null = null;
  const request = (keyId: string, n = 1) => void counts.set(keyId, (counts.get(keyId) ?? 0) + n);
  const tick = setInterval(() => using && request(using), 100);
  const metrics = () =>
    [
      '# HELP api_requests_total Requests received, by the API key id they were made with.',
      '# TYPE api_requests_total counter',
      ...[...counts].map(([id, n]) => `api_requests_total{key_id="${id}"} ${n}`),
      '',
    ].join('\n');
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    target: `127.0.0.1:${port}`,
    metrics,
    request,
    consumer: (keyId) => void (using = keyId),
    async stop() {
      clearInterval(tick);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface InstantResult {
  status: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  error?: string;
}

export interface Prometheus {
  readonly url: string;
  /** An instant query, as keyrot asks it. */
  query(promql: string): Promise<InstantResult>;
  /** Poll `promql` until `ok` holds for its first sample's value (real time, bounded). */
  until(promql: string, ok: (value: number | undefined) => boolean, timeoutMs?: number): Promise<number | undefined>;
  /** Stop the server (SIGTERM): the port is closed, queries are refused. */
  stop(): Promise<void>;
}

export async function startPrometheus(scrape: string[]): Promise<Prometheus> {
  const bin = await installPrometheus();
  const dir = await mkdtemp(join(tmpdir(), 'keyrot-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      `  scrape_interval: ${SCRAPE_MS / 1000}s`,
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: service',
      '    static_configs:',
      `      - targets: [${scrape.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // A test worker that exits without its teardown must not leave the server behind.
  const orphaned = () => void child.kill('SIGKILL');
  process.once('exit', orphaned);
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not get ready on ${url} within 30s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const query = async (promql: string) => (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as InstantResult;
  let stopped = false;
  return {
    url,
    query,
    async until(promql, ok, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const sample = (await query(promql)).data?.result[0]?.value[1];
        const value = sample === undefined ? undefined : Number(sample);
        if (ok(value)) return value;
        if (Date.now() > end) throw new Error(`Prometheus: ${promql} was still ${value} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', orphaned);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
