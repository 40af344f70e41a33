// Issue 25, harness: a signal ends keyrot within a second whatever it is waiting on. Each blocking wait
// keyrot can be in on main: a stored deadline (drain, soak), the last-used gate's quiet wait, another
// run's lock (--wait-lock), the confirmation before a permanent step (at a terminal: Ctrl-C), and a
// provider call whose answer never ends, for every provider of the stalled-answer kit (timeout 10m,
// so only the signal can end it; in the long form `status` too, for the providers it asks, which
// installs no handler of its own). keyrot must end
// with exit 130 (or 143, or die of the signal itself, which a shell shows as 128+n), well inside a
// bound far from the one-second grace it promises, with no stack trace.
// Short form: one signal per wait (SIGINT and SIGTERM by turns); long form: both for every wait.
import { afterAll, describe, expect, it } from 'vitest';
import { type CliResult, startKeyrot } from '../helpers/cli.js';
import { inPty } from '../helpers/pty.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';
import { startKeyhub } from '../peers/keyhub-server.js';
import { startStalled } from '../peers/stall-kit.js';
import { keyhubPlan } from '../helpers/http-issuer.js';
import { recordFaults } from './faults.js';
import { LONG } from './kit.js';
import { closePeers, stallCases } from './stall-cases.js';

afterAll(() => closePeers(), 60_000);

type Signal = 'SIGINT' | 'SIGTERM';
/** From the signal to the end of the process: the promise is one second; this only tells "ends" from "hangs". */
const BOUND_MS = 5_000;
const ENDED_BY = { SIGINT: [130], SIGTERM: [130, 143] };
const STACK = /internal error|\n\s+at .+:\d+:\d+\)?\n/;

/** A run of keyrot in a wait: `ready` resolves once it is in it; `stop` cleans up whatever it started. */
interface Waiting {
  child: { kill(signal: NodeJS.Signals): boolean };
  done: Promise<CliResult>;
  ready: Promise<void>;
  stop(): Promise<void>;
}

const until = async (what: string, probe: () => boolean, ms = 60_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`keyrot never got to ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A local plan (generated key, file target) run until its output says it waits: `marker`. */
async function localWait(extra: Record<string, unknown>, marker: RegExp, args: string[] = []): Promise<Waiting & { ws: Workspace }> {
  const ws = workspace();
  ws.plan('api', localPlan('api', extra));
  const first = await startKeyrot(['run', '--yes', '--plain', 'api.yaml'], { cwd: ws.dir }).done;
  if (first.code !== 0) throw new Error(`first key: ${first.stderr}`);
  let out = '';
  const { child, done } = startKeyrot(['run', '--yes', '--plain', ...args, 'api.yaml'], { cwd: ws.dir });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { ws, child, done, ready: until(`"${marker.source}"`, () => marker.test(out)), stop: async () => ws.cleanup() };
}

const waits: Array<[string, () => Promise<Waiting>]> = [
  ['the overlap window (drain 15m)', () => localWait({ drain: '15m' }, /waiting drain/)],
  ['the soak (7d)', () => localWait({ drain: '0s', soak: '7d' }, /waiting soak/)],
  ['another run\'s lock (--wait-lock 10m)', async () => {
    const holder = await localWait({ drain: '15m' }, /waiting drain/);
    await holder.ready;
    const { child, done } = startKeyrot(['run', '--yes', '--plain', '--wait-lock', '10m', 'api.yaml'], { cwd: holder.ws.dir });
    const since = Date.now();
    // No line says "waiting for the lock": a second and a half in, it is in the wait (the holder refreshes every second).
    return { child, done, ready: until('the lock wait', () => Date.now() - since > 1_500), stop: async () => {
      holder.child.kill('SIGKILL');
      await holder.done;
      await holder.stop();
    } };
  }],
  ['the last-used gate\'s quiet wait (Keyhub says the old key was used just now)', async () => {
    const hub = await startKeyhub();
    const ws = workspace();
    keyhubPlan(ws, hub.url, (y) => y.replace('drain: 15m', 'drain: 0s'));
    const env = { KEYHUB_ADMIN_TOKEN: hub.adminToken };
    const first = await startKeyrot(['run', '--yes', '--plain', 'keyhub.yaml'], { cwd: ws.dir, env }).done;
    if (first.code !== 0) throw new Error(`first key: ${first.stderr}`);
    const old = JSON.parse(ws.read('billing-keys.json')).current.keyId as string;
    hub.use(old, new Date());
    let out = '';
    const { child, done } = startKeyrot(['run', '--yes', '--plain', 'keyhub.yaml'], { cwd: ws.dir, env });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    return { child, done, ready: until('the quiet wait', () => /waiting last-used/.test(out)), stop: async () => {
      await hub.close();
      ws.cleanup();
    } };
  }],
  ...stallCases.filter((c) => !c.sharesClientWith).flatMap((c): Array<[string, () => Promise<Waiting>]> => {
    const hung = (command: string[]) => async (): Promise<Waiting> => {
      const run = await startStalled(c, 'stall-body', '10m', command);
      return { child: run.child, done: run.done, ready: until('a stalled answer', () => run.troubled() > 0), stop: run.stop };
    };
    // status asks each plan's issuer (list) and reads the state store; it asks no other target.
    const asksStatus = /issuer|state store/.test(c.name) && !c.name.includes('verify');
    return [
      [`${c.name}: a call whose answer never ends (run)`, hung(['run', '--yes', '--plain'])],
      ...(LONG && asksStatus ? [[`${c.name}: a call whose answer never ends (status)`, hung(['status'])] as [string, () => Promise<Waiting>]] : []),
    ];
  }),
];

const signals: Signal[] = ['SIGINT', 'SIGTERM'];
const runs = waits.flatMap(([name, start], i) => (LONG ? signals : [signals[i % 2]!]).map((signal) => [name, signal, start] as const));
const SUITE = `signals during every blocking wait (${runs.length + 1} runs)`;

describe(SUITE, () => {
  it.each(runs)('%s, %s: keyrot ends at once, exit 130 (or 143)', async (name, signal, start) => {
    const waiting = await start();
    try {
      await waiting.ready;
      const sent = performance.now();
      waiting.child.kill(signal);
      const bound = setTimeout(() => waiting.child.kill('SIGKILL'), BOUND_MS); // past the bound: a hang, failed below
      const result = await waiting.done;
      clearTimeout(bound);
      const took = performance.now() - sent;
      recordFaults(SUITE, { [signal]: 1 });
      const said = `${name}: ${signal} -> exit ${result.code} (signal ${result.signal}) after ${Math.round(took)} ms\n${result.stderr}`;
      expect(result.signal === signal || ENDED_BY[signal].includes(result.code ?? -1), said).toBe(true);
      expect(took, said).toBeLessThan(BOUND_MS);
      expect(result.stderr, said).not.toMatch(STACK);
    } finally {
      await waiting.stop();
    }
  }, 240_000);

  it('the confirmation before a permanent step, at a terminal: Ctrl-C ends keyrot at once with exit 130', async () => {
    const ws = workspace();
    try {
      ws.plan('api', localPlan('api', { drain: '0s', soak: '0s' }));
      const first = await startKeyrot(['run', '--yes', 'api.yaml'], { cwd: ws.dir }).done;
      expect(first.code, first.stderr).toBe(0);
      const term = inPty('keyrot run api.yaml', { cwd: ws.dir });
      await term.waitFor(/Go ahead\? \[y\/N\] /, 60_000);
      const sent = Date.now();
      term.type('\x03');
      const bound = setTimeout(() => term.kill(), BOUND_MS);
      const { code, at } = await term.exited;
      clearTimeout(bound);
      recordFaults(SUITE, { 'Ctrl-C at a terminal': 1 });
      expect(code, term.screen()).toBe(130);
      expect(at - sent, term.screen()).toBeLessThan(BOUND_MS);
    } finally {
      ws.cleanup();
    }
  }, 120_000);
});
