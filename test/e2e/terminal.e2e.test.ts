// What an operator at a real terminal sees and does: the spinner and countdown, Ctrl-C at every
// moment, the delete prompt, and a pipe on stdout with the terminal still on stdin. Each test runs
// the built binary in a pseudo-terminal (util-linux `script`), so raw mode, line discipline and
// signals behave as they do for a person; piped stdio would hide exactly the bugs tested here.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes, readLedger, readState, readStore, secretsIn } from '../helpers/inspect.js';
import { inPty as openPty, type PtySession } from '../helpers/pty.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
// A failed assertion must not leave keyrot running in its terminal (waiting at a question, say).
const terminals: PtySession[] = [];
const inPty = (...args: Parameters<typeof openPty>) => {
  const term = openPty(...args);
  terminals.push(term);
  return term;
};
afterEach(() => {
  for (const term of terminals.splice(0)) term.kill();
  ws.cleanup();
});

const stateDir = () => path.join(ws.dir, '.keyrot');
const CTRL_C = '\x03';
/** Ctrl-C must stop keyrot within a second; the margin is for a loaded CI machine, not for keyrot. */
const EXIT_BOUND_MS = 2_500;

/** Poll what keyrot saved (never a fixed sleep): resolves once `seen` holds, fails after 15 s. */
async function until(seen: () => boolean): Promise<void> {
  for (const started = Date.now(); !seen(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - started > 15_000) throw new Error('keyrot never got there');
  }
}

const ledgerStatus = (plan: string) => Object.fromEntries(readLedger(stateDir(), plan).map((k) => [k.id, k.status]));

describe('Ctrl-C at a terminal', () => {
  it('during the overlap countdown: exits 130 at once, the old key still active, and a re-run resumes the same countdown', async () => {
    ws.plan('demo', localPlan('demo', { drain: '30s', soak: '4s', rehearse: true }));
    const term = inPty('keyrot run demo.yaml', { cwd: ws.dir });
    await term.waitFor(/overlap window: .*left/); // the live countdown, on the spinner line
    const before = readState(stateDir(), 'demo')!;
    const oldKey = before.oldKeyId!;

    const pressed = Date.now();
    term.type(CTRL_C);
    const { code, at } = await term.exited;
    expect(code).toBe(130);
    expect(at - pressed).toBeLessThan(EXIT_BOUND_MS);
    expect(term.screen()).toContain('interrupted; state saved');
    expect(ledgerStatus('demo')[oldKey]).toBe('active');
    const after = readState(stateDir(), 'demo')!;
    expect(after.phase).toBe('drain');
    expect(after.deadlines.drain).toBe(before.deadlines.drain);

    const again = await keyrot(['run', '--no-wait', 'demo.yaml'], { cwd: ws.dir });
    expect(again.code).toBe(75);
    expect(again.stdout).toContain('resuming rotation');
    expect(readState(stateDir(), 'demo')!.deadlines.drain).toBe(before.deadlines.drain);
  });

  it('during a provider call that never answers: exits 130 within a second, and nothing was created', async () => {
    const silent = net.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      ws.plan('stuck', {
        apiVersion: 'keyrot/v1', name: 'stuck',
        source: { type: 'aws-iam', user: 'svc', region: 'us-east-1', endpoint: `http://127.0.0.1:${port}` },
        publish: [{ type: 'file', path: 'stuck-keys.json' }],
      });
      const env = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_EC2_METADATA_DISABLED: 'true' };
      const term = inPty('keyrot run stuck.yaml', { cwd: ws.dir, env });
      await term.waitFor(/create/);
      await new Promise((r) => setTimeout(r, 300)); // well inside the ListAccessKeys call
      const pressed = Date.now();
      term.type(CTRL_C);
      const { code, at } = await term.exited;
      expect(code).toBe(130);
      expect(at - pressed).toBeLessThan(EXIT_BOUND_MS);
      expect(term.screen()).toMatch(/interrupted/);
      expect(ws.exists('stuck-keys.json')).toBe(false);
    } finally {
      silent.close();
    }
  });
});

describe('waiting for another run\'s lock at a terminal', () => {
  it('--wait-lock says at once whose lock it waits for and for how long (the screen was blank), and Ctrl-C ends the wait, saying nothing was done', async () => {
    ws.plan('demo', localPlan('demo'));
    // A lock held by a live process (this test), as a run in another terminal holds it.
    const lock = path.join(stateDir(), 'locks', 'demo.lock');
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, JSON.stringify({ host: os.hostname(), pid: process.pid, command: 'keyrot run demo.yaml', since: new Date().toISOString(), token: 'other' }));
    const term = inPty('keyrot run --wait-lock 10m demo.yaml', { cwd: ws.dir });
    await term.waitFor(new RegExp(`plan demo is locked by pid ${process.pid} on .*; waiting up to 10m for it \\(--wait-lock\\)`));
    term.type(CTRL_C);
    expect((await term.exited).code).toBe(130);
    expect(readState(stateDir(), 'demo')).toBeUndefined(); // it never held the lock: nothing was started
    // Said as what it was: no step had started.
    expect(term.screen()).toContain('stopped waiting for the lock of plan demo: nothing was done');
    expect(term.screen()).not.toContain('interrupted during a step');
  });
});

describe('colour at a terminal', () => {
  /** An SGR sequence that sets a colour or a weight (cursor moves and line clears are not colour). */
  const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

  it('NO_COLOR: nothing on the screen is coloured, the spinner\'s frame included; without it the spinner is', async () => {
    ws.plan('demo', localPlan('demo', { drain: '30s', soak: '4s', rehearse: true }));
    const plain = inPty('keyrot run demo.yaml', { cwd: ws.dir, env: { NO_COLOR: '1' } });
    await plain.waitFor(/overlap window: .*left/);
    plain.type(CTRL_C);
    expect((await plain.exited).code).toBe(130);
    expect(plain.screen()).not.toMatch(COLOUR);

    const coloured = inPty('keyrot run demo.yaml', { cwd: ws.dir, env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    await coloured.waitFor(/overlap window: .*left/);
    coloured.type(CTRL_C);
    expect((await coloured.exited).code).toBe(130);
    expect(coloured.screen()).toMatch(COLOUR); // the check above can fail: colour is there when asked for
  });
});

describe('the permanent delete asks the person at the terminal', () => {
  // Short timers: the run reaches the delete prompt in about a second of real time.
  const quick = () => ws.plan('demo', localPlan('demo', { drain: '250ms', soak: '250ms', rehearse: true }));

  it('y deletes the old key, and the spinner showed each phase on the way', async () => {
    quick();
    const term = inPty('keyrot run demo.yaml', { cwd: ws.dir });
    await term.waitFor(/Go ahead\? \[y\/N\] /);
    const oldKey = readState(stateDir(), 'demo')!.oldKeyId!;
    term.type('y\r');
    expect((await term.exited).code).toBe(0);
    const screen = term.screen();
    for (const phase of ['create', 'publish', 'verify', 'drain', 'deactivate', 'soak', 'delete']) expect(screen).toContain(phase);
    expect(screen).toMatch(/done .*deleted/);
    expect(ledgerStatus('demo')[oldKey]).toBeUndefined();
    expect(leakedIndexes(screen, secretsIn(readStore(path.join(ws.dir, 'demo-keys.json'))))).toEqual([]);
  });

  it('n holds (exit 3) with the old key inactive, and says how to go on', async () => {
    quick();
    const term = inPty('keyrot run demo.yaml', { cwd: ws.dir });
    await term.waitFor(/Go ahead\? \[y\/N\] /);
    const oldKey = readState(stateDir(), 'demo')!.oldKeyId!;
    term.type('n\r');
    expect((await term.exited).code).toBe(3);
    expect(term.screen()).toContain('keyrot run --yes demo.yaml');
    expect(ledgerStatus('demo')[oldKey]).toBe('inactive');
  });

  it('two plans at once: one question on the screen at a time, and each answer goes to the question it was typed at', async () => {
    for (const name of ['one', 'two']) ws.plan(name, localPlan(name, { drain: '0s', soak: '0s', rehearse: true }));
    const term = inPty('keyrot run --concurrency 2 .', { cwd: ws.dir });
    const asked = () => [...term.screen().matchAll(/permanent\): (key-\w+)\. Go ahead\? \[y\/N\] /g)].map((m) => m[1]!);
    // Both plans at their delete: one asks, the other has deactivated its old key (its lines wait below the question).
    await term.waitFor(/plan (one|two): delete the old key/);
    const other = term.screen().includes('plan one: delete') ? 'two' : 'one';
    await until(() => Object.values(ledgerStatus(other)).includes('inactive'));
    await new Promise((r) => setTimeout(r, 200)); // what a second question would need to reach the screen
    expect(asked()).toHaveLength(1);
    const [declined] = asked();
    term.type('n\r');
    await term.waitFor(/Go ahead\? \[y\/N\] [\s\S]*Go ahead\? \[y\/N\] /);
    const confirmed = asked()[1]!;
    term.type('y\r');
    expect((await term.exited).code).toBe(3); // one plan held (declined), one done
    const keys = { ...ledgerStatus('one'), ...ledgerStatus('two') };
    expect(keys[declined!]).toBe('inactive');
    expect(keys[confirmed]).toBeUndefined(); // deleted
  });

  it('several plans at once: the question names the plan whose key it deletes, and the other plans\' lines wait below it until it is answered', async () => {
    // `two` drains for 2 s: `one` asks first, and `two` deactivates while that question waits.
    ws.plan('one', localPlan('one', { drain: '0s', soak: '0s', rehearse: true }));
    ws.plan('two', localPlan('two', { drain: '2s', soak: '0s', rehearse: true }));
    const term = inPty('keyrot run --concurrency 2 .', { cwd: ws.dir });
    const QUESTION = /plan (\w+): delete the old key \(permanent\): (key-\w+)\. Go ahead\? \[y\/N\] /;
    await term.waitFor(QUESTION);
    const [, first, firstKey] = term.screen().match(QUESTION)!;
    expect(first).toBe('one');
    expect(ledgerStatus('one')[firstKey!]).toBe('inactive'); // the key named is that plan's
    const other = 'two';
    // The other plan goes on, deactivating its old key, while the question waits (its lines held back).
    expect(term.screen()).not.toContain(`${other} phase deactivate`);
    await until(() => Object.values(ledgerStatus(other)).includes('inactive'));
    // Nothing printed onto the question's line (readline's cursor moves aside).
    const shownSince = (text: string) => term.screen().slice(term.screen().indexOf(text) + text.length);
    expect(shownSince('[y/N] ').replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g'), '')).toBe('');

    term.type('n\r');
    await term.waitFor(new RegExp(`plan ${other}: delete the old key \\(permanent\\): key-\\w+\\. Go ahead\\? \\[y\\/N\\] `));
    expect(shownSince('[y/N] ')).toContain(`${other} phase deactivate`); // the held lines came after the answer
    term.type('n\r');
    expect((await term.exited).code).toBe(3);
  });

  it('Ctrl-C at the prompt exits 130 and deletes nothing', async () => {
    quick();
    const term = inPty('keyrot run demo.yaml', { cwd: ws.dir });
    await term.waitFor(/Go ahead\? \[y\/N\] /);
    const oldKey = readState(stateDir(), 'demo')!.oldKeyId!;
    const pressed = Date.now();
    term.type(CTRL_C);
    const { code, at } = await term.exited;
    expect(code).toBe(130);
    expect(at - pressed).toBeLessThan(EXIT_BOUND_MS);
    expect(ledgerStatus('demo')[oldKey]).toBe('inactive');
  });

  it('asks when stdout is a pipe but stdin is the terminal (`keyrot run plan | tee log`)', async () => {
    quick();
    const term = inPty('keyrot run demo.yaml | cat > run.log', { cwd: ws.dir });
    await term.waitFor(/Go ahead\? \[y\/N\] /);
    const oldKey = readState(stateDir(), 'demo')!.oldKeyId!;
    term.type('n\r');
    await term.exited;
    expect(ledgerStatus('demo')[oldKey]).toBe('inactive');
    expect(ws.read('run.log')).not.toContain('Go ahead'); // the question went to the terminal, not into the log
  });

  it('with no terminal and no --yes, holds before the delete (exit 3) naming --yes; with --yes, deletes', async () => {
    quick();
    const held = await keyrot(['run', 'demo.yaml'], { cwd: ws.dir });
    expect(held.code).toBe(3);
    expect(held.stderr).toContain('no terminal to ask and --yes was not given');
    expect(held.stderr).toContain('keyrot run --yes demo.yaml');
    const oldKey = readState(stateDir(), 'demo')!.oldKeyId!;
    expect(ledgerStatus('demo')[oldKey]).toBe('inactive');

    const done = await keyrot(['run', '--yes', 'demo.yaml'], { cwd: ws.dir });
    expect(done.code).toBe(0);
    expect(ledgerStatus('demo')[oldKey]).toBeUndefined();
  });
});

describe('revoke at a terminal', () => {
  it('refuses the new key of a rotation in flight before asking anything, with hints that work when pasted', async () => {
    ws.plan('demo', localPlan('demo', { drain: '1h' }));
    expect((await keyrot(['run', 'demo.yaml'], { cwd: ws.dir })).code).toBe(0); // first key
    expect((await keyrot(['run', '--no-wait', 'demo.yaml'], { cwd: ws.dir })).code).toBe(75); // rotating, in the overlap
    const newKey = readState(stateDir(), 'demo')!.newKeyId!;

    const term = inPty(`keyrot revoke --key ${newKey} .`, { cwd: ws.dir });
    expect((await term.exited).code).toBe(3);
    expect(term.screen()).not.toContain('[y/N]');
    expect(term.screen()).toContain(`is the new key of the rotation in flight for demo`);
    const hint = /run `(keyrot abandon [^`]+)`, then `(keyrot revoke --key [^`]+)` again/.exec(term.screen());
    expect(hint, term.screen()).not.toBeNull();

    // Pasted as printed: each command does what the hint says.
    const abandon = await keyrot(hint![1]!.split(' ').slice(1), { cwd: ws.dir });
    expect(abandon.code, abandon.stderr).toBe(0);
    const revoke = inPty(hint![2]!, { cwd: ws.dir });
    await revoke.waitFor(/Revoke\? \[y\/N\] /);
    revoke.type('y\r');
    expect((await revoke.exited).code).toBe(0);
    // Two keys already: the leaked one made room for its replacement, and no store slot holds it.
    expect(ledgerStatus('demo')[newKey]).toBeUndefined();
    const served = readStore(path.join(ws.dir, 'demo-keys.json'));
    expect([served.current, served.previous, served.retired].map((k) => k?.keyId)).not.toContain(newKey);
    expect(revoke.screen()).toContain('the leaked key was deleted to make room for it');
  });

  it('asks once for revoke --delete, and plans can be named by name', async () => {
    ws.plan('demo', localPlan('demo', { soak: '0s' }));
    expect((await keyrot(['run', 'demo.yaml'], { cwd: ws.dir })).code).toBe(0);
    const leaked = readLedger(stateDir(), 'demo')[0]!.id;
    expect((await keyrot(['revoke', '--yes', '--key', leaked, 'demo'], { cwd: ws.dir })).code).toBe(0);

    const term = inPty(`keyrot revoke --delete --key ${leaked} demo`, { cwd: ws.dir });
    await term.waitFor(/\[y\/N\] /);
    term.type('y\r');
    expect((await term.exited).code).toBe(0);
    expect(term.screen().match(/\[y\/N\]/g)).toHaveLength(1);
    expect(ledgerStatus('demo')[leaked]).toBeUndefined();
  });
});
