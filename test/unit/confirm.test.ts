// The question before a permanent step, on a stand-in terminal (two streams): who is asked, what
// counts as yes, and what an interrupt does. The real terminal (typed-ahead input thrown away, Ctrl-C
// as a key) is tested in a pseudo-terminal: test/e2e/questions.e2e.test.ts and terminal.e2e.test.ts.
import { PassThrough } from 'node:stream';
import type tty from 'node:tty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmer, type ConfirmOptions } from '../../src/cli/confirm.js';
import type { Terminal } from '../../src/cli/terminal.js';

/** A terminal whose keys the test types and whose screen it reads; it records what was done to it. */
function standIn(discards = true) {
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d: Buffer) => (screen += d.toString()));
  const done: string[] = [];
  const terminal: Terminal = {
    input: input as unknown as tty.ReadStream,
    output: output as unknown as tty.WriteStream,
    discardTypedAhead: () => (done.push('discard'), discards),
    close: () => void done.push('close'),
  };
  return {
    terminal,
    done,
    /** Whether anything still reads the keys typed on this terminal. */
    listening: () => input.listenerCount('data') + input.listenerCount('keypress') > 0,
    screen: () => screen,
    /** Resolves once the question is on the screen; fails after a second (no question was asked). */
    shown: async () => {
      for (const giveUp = Date.now() + 1_000; !screen.includes('[y/N] '); await new Promise((r) => setTimeout(r, 5))) {
        if (Date.now() > giveUp) throw new Error(`no question on the screen: ${JSON.stringify(screen)}`);
      }
    },
    /** Type `keys` once the question is on the screen. */
    async answer(keys: string) {
      await this.shown();
      input.write(keys);
    },
    /** The keyboard's end of input (Ctrl-D on an empty line) once the question is on the screen. */
    async endInput() {
      await this.shown();
      input.end();
    },
  };
}

const QUESTION = 'delete the old key (permanent): FAKE1. Go ahead?';
let interrupt: AbortController;
let stdinWasTTY: boolean | undefined;
beforeEach(() => {
  interrupt = new AbortController();
  stdinWasTTY = process.stdin.isTTY;
  process.stdin.isTTY = true; // an operator at a terminal
});
afterEach(() => {
  process.stdin.isTTY = stdinWasTTY as true;
});

const ask = (term: ReturnType<typeof standIn> | undefined, opts: Partial<ConfirmOptions> = {}) =>
  confirmer({ signal: interrupt.signal, terminal: () => term?.terminal, ...opts })(QUESTION);

// A question that is never asked or never answered fails in 2 s, not at the suite's 30 s timeout.
describe('the question before a permanent step', { timeout: 2_000 }, () => {
  it.each(['y\n', 'Y\n', 'yes\n', 'YES\n', ' yes \n', 'Yes\r\n'])('takes %j as yes', async (keys) => {
    const term = standIn();
    const answered = ask(term);
    await term.answer(keys);
    expect(await answered).toBe('yes');
  });

  it.each(['\n', 'n\n', 'no\n', 'ye\n', 'yess\n', 'yes please\n', 'y y\n', 'ok\n'])('takes %j as no (anything but y or yes)', async (keys) => {
    const term = standIn();
    const answered = ask(term);
    await term.answer(keys);
    expect(await answered).toBe('no');
  });

  it('takes the end of input (Ctrl-D) as no, instead of waiting for a key that can no longer come', async () => {
    const term = standIn();
    const answered = ask(term);
    await term.endInput();
    expect(await answered).toBe('no');
    expect(term.done).toContain('close');
  });

  it('shows the question with [y/N], having paused the spinner and thrown away what was typed before, then closes the terminal', async () => {
    const term = standIn();
    const order: string[] = [];
    const answered = ask(term, { pause: () => order.push(`pause (${term.done.length} done)`) });
    await term.answer('n\n');
    await answered;
    expect(term.screen()).toBe(`${QUESTION} [y/N] `);
    expect(order).toEqual(['pause (0 done)']);
    expect(term.done).toEqual(['discard', 'close']);
  });

  it('asks nobody with --yes', async () => {
    const term = standIn();
    expect(await ask(term, { yes: true })).toBe('yes');
    expect(term.done).toEqual([]);
    expect(term.screen()).toBe('');
  });

  it('is unattended when stdin is not a terminal (cron, CI): nothing is shown, the step holds', async () => {
    process.stdin.isTTY = undefined as unknown as true;
    const term = standIn();
    expect(await ask(term)).toBe('unattended');
    expect(term.done).toEqual([]);
  });

  it('asks on the terminal all the same when stdin carried data (revoke --secret-stdin)', async () => {
    process.stdin.isTTY = undefined as unknown as true;
    const term = standIn();
    const answered = ask(term, { stdinTaken: true });
    await term.answer('y\n');
    expect(await answered).toBe('yes');
  });

  it('is unattended when there is no terminal to ask on, or what was typed ahead cannot be thrown away', async () => {
    expect(await ask(undefined)).toBe('unattended');
    const term = standIn(false);
    expect(await ask(term)).toBe('unattended');
    expect(term.screen()).toBe('');
    expect(term.done).toEqual(['discard', 'close']);
  });

  it('stops with "interrupted" on Ctrl-C (the run\'s interrupt), ending the line and closing the terminal', async () => {
    const term = standIn();
    const answered = ask(term).catch((e: unknown) => e);
    await term.shown();
    interrupt.abort();
    expect(await answered).toMatchObject({ code: 'interrupted', exitCode: 130 });
    expect(term.screen().startsWith(`${QUESTION} [y/N] `)).toBe(true);
    expect(term.screen()).toMatch(/\n$/); // the next message starts on a line of its own
    expect(term.done).toEqual(['discard', 'close']);
  });

  it('forgets the interrupt once answered: a later Ctrl-C does not reach a closed question', async () => {
    const term = standIn();
    const answered = ask(term);
    await term.answer('n\n');
    expect(await answered).toBe('no');
    interrupt.abort();
    await new Promise((r) => setTimeout(r, 10));
    expect(term.screen()).toBe(`${QUESTION} [y/N] `);
  });

  it('asks one question at a time (plans run side by side): the second is shown once the first is answered, and each gets its own answer', async () => {
    const first = standIn();
    const second = standIn();
    const terminals = [first, second];
    const confirm = confirmer({ signal: interrupt.signal, terminal: () => terminals.shift()?.terminal });
    const answers = [confirm('delete the old key (permanent): A. Go ahead?'), confirm('delete the old key (permanent): B. Go ahead?')];
    await first.shown();
    await new Promise((r) => setTimeout(r, 20));
    expect(second.screen()).toBe(''); // not on the screen while the first waits for its answer
    await first.answer('n\n');
    await second.answer('y\n');
    expect(await Promise.all(answers)).toEqual(['no', 'yes']);
    expect(first.screen()).toContain(': A. Go ahead? [y/N] ');
    expect(second.screen()).toContain(': B. Go ahead? [y/N] ');
  });

  it('after Ctrl-C at one question, a question waiting its turn is never asked', async () => {
    const first = standIn();
    const second = standIn();
    const terminals = [first, second];
    const confirm = confirmer({ signal: interrupt.signal, terminal: () => terminals.shift()?.terminal });
    const answers = [confirm(QUESTION).catch((e: unknown) => e), confirm(QUESTION).catch((e: unknown) => e)];
    await first.shown();
    interrupt.abort();
    expect(await Promise.all(answers)).toMatchObject([{ code: 'interrupted' }, { code: 'interrupted' }]);
    expect(second.screen()).toBe('');
  });

  it('stops reading the terminal once answered or interrupted: later keys answer nothing', async () => {
    const answeredTerm = standIn();
    const answered = ask(answeredTerm);
    await answeredTerm.answer('n\n');
    await answered;
    expect(answeredTerm.listening()).toBe(false);
    const interruptedTerm = standIn();
    const interrupted = ask(interruptedTerm).catch(() => undefined);
    await interruptedTerm.shown();
    interrupt.abort();
    await interrupted;
    expect(interruptedTerm.listening()).toBe(false);
  });
});
