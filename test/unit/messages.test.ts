// Every hint that names a keyrot command about a plan names that plan's file, so it works when
// pasted (the runner and the commands put the file, with --state, into every message's details).
import { describe, expect, it } from 'vitest';
import { commandArg, messages, say, type MessageCode } from '../../src/messages.js';

const FILE = commandArg('plans/pay ments.yaml', '/srv/state');
const details = { file: FILE, plan: 'payments', keyId: 'AKIAEXAMPLE', oldKeyId: 'old', newKeyId: 'new', revokeKey: 'AKIAEXAMPLE', fix: 'log in again' };
/** Commands that act on a plan and so must be told which one. */
const PLAN_COMMANDS = /`keyrot (run|abandon|approve|rollback|status|history|revoke)\b[^`]*`/g;

describe('hints', () => {
  it('quote the plan file and the state folder for a shell', () => {
    expect(FILE).toBe(`--state /srv/state 'plans/pay ments.yaml'`);
    expect(commandArg("it's.yaml")).toBe(`'it'\\''s.yaml'`);
  });

  for (const code of Object.keys(messages) as MessageCode[]) {
    it(`${code}: a command it names carries the plan file`, () => {
      const { hint } = say(code, details as never);
      for (const [command] of hint.matchAll(PLAN_COMMANDS)) {
        // `keyrot revoke --key KEY_ID <plans or folders>` (usage, before any plan is known) is the one form allowed a placeholder;
        // a bug's report asks for the whole audit log (`keyrot history --json`), whatever plan it met.
        if (code === 'revoke-needs-key' || code === 'internal') continue;
        expect(command, hint).toContain(FILE);
      }
    });
  }
});
