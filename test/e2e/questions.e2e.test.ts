// Every question keyrot asks at a terminal is answered only by a key pressed after it appeared:
// a `y` typed ahead (a whole line, or a partial one finished later by Enter) must never delete or
// revoke a key, and Enter alone is no. Run in a pseudo-terminal, where typed-ahead input waits in
// the terminal's input queue exactly as it does for a person.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes, readLedger, readState, readStore } from '../helpers/inspect.js';
import { inPty, type PtySession } from '../helpers/pty.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const stateDir = () => path.join(ws.dir, '.keyrot');
const ledgerStatus = (plan: string) => Object.fromEntries(readLedger(stateDir(), plan).map((k) => [k.id, k.status]));
/** A yes that keyrot would take, and that nothing else on the screen spells: its echo shows it reached the terminal. */
const TYPED_AHEAD = 'YES';

/** The question is still waiting for an answer a while after it appeared (a typed-ahead answer is taken at once). */
async function stillAsking(term: PtySession): Promise<boolean> {
  const settled = await Promise.race([term.exited.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 700))]);
  return settled === 'waiting';
}

/** A shell line that runs `command` once the test creates the file `go`: what is typed until then waits in the terminal. */
const once = (command: string) => `while [ ! -e go ]; do sleep 0.05; done; ${command}`;

describe('the delete question takes only a key pressed after it appeared', () => {
  // An overlap long enough to type into its countdown; the delete question comes about 2 s later.
  const plan = () => ws.plan('demo', localPlan('demo', { drain: '2s', soak: '250ms', rehearse: true }));

  it('a `YES` and Enter typed during the overlap countdown is thrown away; Enter alone then is no', async () => {
    plan();
    const term = inPty('keyrot run demo.yaml', { cwd: ws.dir });
    await term.waitFor(/overlap window: .*left/);
    term.type(`${TYPED_AHEAD}\r`);
    await term.waitFor(new RegExp(TYPED_AHEAD)); // echoed: it is in the terminal's input queue
    await term.waitFor(/Go ahead\? \[y\/N\] /);
    const oldKey = readState(stateDir(), 'demo')!.oldKeyId!;

    expect(await stillAsking(term), term.screen()).toBe(true);
    expect(ledgerStatus('demo')[oldKey]).toBe('inactive');
    term.type('\r');
    expect((await term.exited).code).toBe(3);
    expect(term.screen()).toContain(`permanent delete of ${oldKey} not confirmed`);
    expect(ledgerStatus('demo')[oldKey]).toBe('inactive');
  });

  it('a `YES` typed without Enter during the countdown is thrown away too: the Enter pressed at the question answers no', async () => {
    plan();
    const term = inPty('keyrot run demo.yaml', { cwd: ws.dir });
    await term.waitFor(/overlap window: .*left/);
    term.type(TYPED_AHEAD);
    await term.waitFor(new RegExp(TYPED_AHEAD));
    await term.waitFor(/Go ahead\? \[y\/N\] /);
    const oldKey = readState(stateDir(), 'demo')!.oldKeyId!;

    term.type('\r');
    expect((await term.exited).code).toBe(3);
    expect(ledgerStatus('demo')[oldKey]).toBe('inactive');
  });
});

describe('the revoke question takes only a key pressed after it appeared', () => {
  async function issued(): Promise<string> {
    ws.plan('demo', localPlan('demo'));
    expect((await keyrot(['run', 'demo.yaml'], { cwd: ws.dir })).code).toBe(0);
    return readStore(path.join(ws.dir, 'demo-keys.json')).current!.keyId;
  }

  it('a `YES` and Enter typed before keyrot asked is thrown away; Enter alone is no, and the key stays active', async () => {
    const key = await issued();
    const term = inPty(once('keyrot revoke demo.yaml'), { cwd: ws.dir });
    term.type(`${TYPED_AHEAD}\r`);
    await term.waitFor(new RegExp(TYPED_AHEAD));
    ws.write('go', '');
    await term.waitFor(/Revoke\? \[y\/N\] /);

    expect(await stillAsking(term), term.screen()).toBe(true);
    term.type('\r');
    expect((await term.exited).code).toBe(3);
    expect(term.screen()).toContain(`not confirmed: nothing was done to ${key}`);
    expect(ledgerStatus('demo')[key]).toBe('active');
  });

  it('Ctrl-D at the question is no: keyrot ends (exit 3) instead of waiting for a key, and the key stays active', async () => {
    const key = await issued();
    const term = inPty('keyrot revoke demo.yaml', { cwd: ws.dir });
    await term.waitFor(/Revoke\? \[y\/N\] /);
    term.type('\x04');
    expect((await term.exited).code).toBe(3);
    expect(term.screen()).toContain(`not confirmed: nothing was done to ${key}`);
    expect(ledgerStatus('demo')[key]).toBe('active');
  });

  it('--secret-stdin asks on the terminal (stdin is the pipe), ignores what was typed before, and revokes on a fresh y', async () => {
    const key = await issued();
    const secret = readStore(path.join(ws.dir, 'demo-keys.json')).current!.secret;
    ws.write('leaked.txt', secret);
    const term = inPty(`(${once('cat leaked.txt')}) | keyrot revoke --secret-stdin .`, { cwd: ws.dir });
    term.type(`${TYPED_AHEAD}\r`);
    await term.waitFor(new RegExp(TYPED_AHEAD));
    ws.write('go', '');
    await term.waitFor(/Revoke\? \[y\/N\] /);

    expect(await stillAsking(term), term.screen()).toBe(true);
    expect(ledgerStatus('demo')[key]).toBe('active');
    term.type('y\r');
    expect((await term.exited).code, term.screen()).toBe(0);
    expect(ledgerStatus('demo')[key]).toBe('inactive');
    expect(leakedIndexes(term.screen(), [secret])).toEqual([]);
  });
});
