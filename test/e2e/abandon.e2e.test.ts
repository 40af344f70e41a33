// keyrot abandon on the local demo issuer, through the built binary: a plain abandon in the overlap
// window leaves both keys active; a run before `--retire-new` holds at the key limit, and the way out
// it names works.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot } from '../helpers/cli.js';
import { readLedger, readStore } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const storeFile = () => path.join(ws.dir, 'api-keys.json');
const ledger = () => readLedger(path.join(ws.dir, '.keyrot'), 'api').map((k) => `${k.id}:${k.status}`);

/** The first key, then a rotation abandoned in its overlap window, then a run: held at the key limit. */
async function heldAfterAbandon(restoreOld: boolean) {
  const plan = ws.plan('api', localPlan('api'));
  expect((await keyrot(['run', '--yes', plan], { cwd: ws.dir })).code).toBe(0);
  const old = readStore(storeFile()).current!.keyId;
  expect((await keyrot(['run', '--yes', '--no-wait', plan], { cwd: ws.dir })).code).toBe(75);
  const fresh = readStore(storeFile()).current!.keyId;
  expect((await keyrot(['abandon', plan], { cwd: ws.dir })).code).toBe(0);
  if (restoreOld) {
    // The target went back to the old key (restored from a backup): no target serves the new one.
    const file = readStore(storeFile());
    ws.write('api-keys.json', JSON.stringify({ ...file, current: file.previous, previous: file.current }));
  }
  const held = await keyrot(['run', '--yes', plan], { cwd: ws.dir });
  expect(held.code, held.stderr).toBe(3);
  return { plan, old, fresh, held };
}

describe('a run between a plain abandon and `keyrot abandon --retire-new`', () => {
  it('the new key served by no target: the key-limit hold names --retire-new, which deletes it (exit 0); the next run rotates again', async () => {
    const { plan, old, fresh, held } = await heldAfterAbandon(true);
    expect(held.stderr).toContain(`hint: ${fresh} is the new key of a rotation abandoned with both keys active: \`keyrot abandon --retire-new ${plan}\` retires it`);
    expect(held.stderr).not.toContain('deleteInactiveKey');

    const retired = await keyrot(['abandon', '--retire-new', plan], { cwd: ws.dir });
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toContain(`the new key ${fresh} left active by abandoned rotation `);
    expect(ledger()).toEqual([`${old}:active`]);

    expect((await keyrot(['run', '--yes', '--no-wait', plan], { cwd: ws.dir })).code).toBe(75); // a new rotation, in its overlap window
    expect(readStore(storeFile()).current!.keyId).not.toBe(old);
  });

  it('the new key served (the current one): --retire-new refuses (exit 3), changes nothing, and says it is the key consumers use', async () => {
    const { plan, old, fresh } = await heldAfterAbandon(false);
    const refused = await keyrot(['abandon', '--retire-new', plan], { cwd: ws.dir });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('it is the key consumers use now');
    expect(ledger()).toEqual([`${old}:active`, `${fresh}:active`]);
  });
});
