// The stalled-answer kit (issue 25, defect 4): one provider of a plan is reached through a proxy that
// lets its answers begin and never end (the status and headers, then a body that stalls or drips;
// for a database, the first bytes of its answer), and the built binary must end on its own, with the
// plan's timeout, in a bounded time. A case names its peer and its plan; the kit does the rest:
//
//   stallCases.push({ name: 'redis issuer', wire: 'tcp', exit: 4, worstMs: ..., start: redisStalled });
//
// `start` gets the workspace and answers where the provider listens and the plan that reaches it
// through `via`, the proxy's address (an http(s) URL, or host:port on the tcp wire).
import { writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { type CliResult, startKeyrot } from '../helpers/cli.js';
import { workspace, type Workspace } from '../helpers/workspace.js';
import { selfSignedCert } from './azure-keyvault-server.js';
import { type Fault, startForwardingProxy } from './forwarding-proxy.js';
import { type StallPoint, startTcpStallProxy } from './tcp-stall-proxy.js';

export type Wire = 'http' | 'https' | 'tcp';
/** No answer at all after the connection (stall), or the headers and then a body that stalls or drips. */
export type Stall = Extract<Fault, 'stall' | 'stall-body' | 'drip-body'>;

export interface StalledProvider {
  /** Where the provider listens: a URL (http/https wire), or host:port (tcp). */
  target: string;
  /** https wire: the provider's CA (PEM), for the proxy's own connection to it. */
  ca?: string;
  /** The plan (as an object) reaching the provider at `via` with per-request `timeout`; `caFile` is the
   *  proxy's CA on the https wire, a file name relative to the plan. */
  plan(via: string, timeout: string, caFile: string): Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Extra arguments after `run --yes --plain` (e.g. --state vault://…), before the plan. */
  args?(via: string, timeout: string): string[];
  /** http wires: stall only the requests this picks (default: every one). */
  select?(req: http.IncomingMessage): boolean;
  /** Run the plan once without the stall first (a usage gate is only asked about an old key; an
   *  issuer then holds a key the stalled run must leave as it was). */
  primed?: boolean;
  /** What the provider holds that the stalled run must leave as it found it (read from the provider
   *  itself, not through the proxy): key ids with their status, a value's fingerprint or "absent".
   *  Taken before the stall and after keyrot ended; every entry of before must be in after, unchanged
   *  (a key the stalled run created and recorded may be added: resume deals with it). */
  snapshot(): Promise<Record<string, string>>;
  close?(): Promise<void>;
}

export interface StallCase {
  name: string;
  wire: Wire;
  /** The exit code the stall must end in: 4 (a provider did not answer), 3 where no answer holds a gate. */
  exit: number;
  /** The worst case at a 1s timeout: every attempt timing out, plus the backoff between them. */
  worstMs: number;
  /** tcp wire: the server's bytes a stalled connection gets before it stops (a message header), or
   *  an HTTP answer's headers (for HTTP a Node server cannot parse: Vault's LIST). */
  afterBytes?: StallPoint;
  /** The case whose client this one's calls go through (a preset: the http issuer's). Its stall and
   *  drip runs are its own; the runs that exercise the client alone (reset, refused, a signal) run on that case. */
  sharesClientWith?: string;
  start(ws: Workspace): Promise<StalledProvider>;
}

export interface StallOutcome {
  result: CliResult;
  elapsedMs: number;
  /** Requests (or connections) the proxy troubled (1 for a proxy that was gone): a pass with none proves nothing. */
  stalled: number;
  /** Whether the kit had to kill keyrot at the bound (it hung). */
  killed: boolean;
  /** The provider's snapshot before the stall and after keyrot ended. */
  before: Record<string, string>;
  after: Record<string, string>;
}

/** The per-request timeout every case runs with. */
export const STALL_TIMEOUT = '1s';
/** Beyond the case's worst case: start-up, a slow machine. Far from any honest run's time. */
const SLACK_MS = 20_000;

/** What the proxy does to the provider's answers: stall or drip the body, reset the connection, or be gone (refused). */
export type Trouble = Stall | 'reset' | 'refused';

/** Start the proxy of the case's wire in front of its provider; `on` starts the trouble. */
async function proxyFor(c: StallCase, p: StalledProvider, ws: Workspace) {
  if (c.wire === 'tcp') {
    const [host, port] = p.target.split(':');
    const proxy = await startTcpStallProxy(host!, Number(port));
    let troubled = 0;
    const on = async (kind: Trouble) => {
      if (kind === 'refused') return void (troubled = 1, await proxy.close());
      if (kind !== 'stall-body' && kind !== 'stall') throw new Error(`the tcp wire cannot ${kind}`);
      proxy.stall(kind === 'stall' ? 0 : (c.afterBytes ?? 1));
    };
    return { via: `${proxy.host}:${proxy.port}`, on, troubled: () => troubled + proxy.stalled, close: () => proxy.close() };
  }
  const upstreamCa = p.ca ? ws.write('stall-upstream-ca.pem', p.ca) : undefined;
  const tls = c.wire === 'https' ? selfSignedCert() : undefined;
  if (tls) writeFileSync(path.join(ws.dir, 'stall-proxy-ca.pem'), tls.cert);
  const proxy = await startForwardingProxy(p.target, upstreamCa, { keepHost: true, ...(tls ? { tls } : {}) });
  let closed = false;
  const close = async () => void (closed || ((closed = true), await proxy.close()));
  const on = async (kind: Trouble) => {
    if (kind === 'refused') return close();
    proxy.injectFaults((req) => (!p.select || p.select(req) ? kind : undefined));
  };
  const troubled = () => (closed ? 1 : 0) + proxy.injected.stall + proxy.injected['stall-body'] + proxy.injected['drip-body'] + proxy.injected.reset;
  return { via: proxy.address, on, troubled, close };
}

/** keyrot running the case's plan with its provider in trouble; `stop` ends it (if need be) and everything else. */
export interface Started {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Requests (or connections) the proxy troubled so far. */
  troubled(): number;
  /** The provider's snapshot when the trouble began, and a fresh one. */
  before: Record<string, string>;
  snapshot(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Start the case's plan (after an unstalled run if it is `primed`), with every answer of its provider
 * in trouble from then on. `timeout`: the plan's per-request timeout (a long one: only a signal ends it).
 */
export async function startStalled(c: StallCase, kind: Trouble = 'stall-body', timeout = STALL_TIMEOUT, command: string[] = ['run', '--yes', '--plain']): Promise<Started> {
  const ws = workspace();
  const provider = await c.start(ws);
  const proxy = await proxyFor(c, provider, ws);
  const stop = async () => {
    await proxy.close();
    await provider.close?.();
    ws.cleanup();
  };
  try {
    ws.plan('stalled', provider.plan(proxy.via, timeout, 'stall-proxy-ca.pem'));
    const args = (cmd: string[]) => [...cmd, ...(provider.args?.(proxy.via, timeout) ?? []), 'stalled.yaml'];
    const run = (cmd: string[]) => startKeyrot(args(cmd), { cwd: ws.dir, env: provider.env ?? {} });
    if (provider.primed) {
      const first = await run(['run', '--yes', '--plain']).done;
      if (first.code !== 0) throw new Error(`${c.name}: the unstalled run failed (exit ${first.code}): ${first.stderr}`);
    }
    const before = await provider.snapshot();
    await proxy.on(kind);
    const { child, done } = run(command);
    return {
      child, done, troubled: proxy.troubled, before, snapshot: () => provider.snapshot(),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await done;
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Run the case's plan with every answer of its provider in trouble; keyrot is killed only past the bound. */
export async function runStalled(c: StallCase, kind: Trouble = 'stall-body'): Promise<StallOutcome> {
  const run = await startStalled(c, kind);
  try {
    const begun = performance.now();
    let killed = false;
    const bound = setTimeout(() => {
      killed = true;
      run.child.kill('SIGKILL');
    }, boundOf(c));
    const result = await run.done;
    const elapsedMs = performance.now() - begun;
    clearTimeout(bound);
    return { result, elapsedMs, stalled: run.troubled(), killed, before: run.before, after: await run.snapshot() };
  } finally {
    await run.stop();
  }
}

/** The bound a case is held to, for the test's own timeout and its message. */
export const boundOf = (c: StallCase): number => c.worstMs + SLACK_MS;
