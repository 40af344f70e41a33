// The demo as a newcomer runs it, through the built binary: no cloud account, real files.
import path from 'node:path';
import { readFileSync, symlinkSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyrot } from '../helpers/cli.js';
import { leakedIndexes, readAudit, readLedger, readState, readStore, secretsIn } from '../helpers/inspect.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

const stateDir = () => path.join(ws.dir, '.keyrot');
const storeFile = () => path.join(ws.dir, 'demo-keys.json');

/** Move a stored deadline into the past: what waiting through it would do, without the wait. */
function expireDeadline(phase: 'drain' | 'soak') {
  const file = path.join(stateDir(), 'state', 'demo.json');
  const state = JSON.parse(readFileSync(file, 'utf8'));
  state.deadlines[phase] = new Date(Date.now() - 1000).toISOString();
  if (phase === 'drain') state.deadlines[phase] = new Date(Date.now() - 1000).toISOString();
  ws.write('.keyrot/state/demo.json', JSON.stringify(state));
}

describe('keyrot run on the local demo', () => {
  it('the shipped demo plan is valid and its dry run touches nothing', async () => {
    const demo = path.resolve('rotation-plans/demo.yaml');
    expect((await keyrot(['validate', demo], { cwd: ws.dir })).code).toBe(0);
    const dry = await keyrot(['plan', '--state', stateDir(), demo], { cwd: ws.dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/1\. create .*\n.*call {3}generated: read the key ledger.*\n.*call {3}generated: generate 32 random bytes/);
    expect(dry.stdout).toContain('would pass');
    expect(ws.exists('.keyrot')).toBe(false);
  });

  it('completes a full rotation: one new key in the store, nothing in flight, one audit record per side effect, no secret anywhere', async () => {
    const plan = ws.plan('demo', localPlan('demo', { drain: '0s', soak: '0s' }));
    const first = await keyrot(['run', plan], { cwd: ws.dir });
    expect(first.code).toBe(0);
    const firstSecrets = secretsIn(readStore(storeFile()));

    const second = await keyrot(['run', '--yes', plan], { cwd: ws.dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/done: rotated key-\w+ -> key-\w+ \(sha256:[0-9a-f]{12}\)/);

    const store = readStore(storeFile());
    expect(store.current?.keyId).toMatch(/^key-/);
    expect(store.previous).toBeUndefined();
    expect(readLedger(stateDir(), 'demo')).toEqual([expect.objectContaining({ id: store.current!.keyId, status: 'active' })]);
    // The plan named, with its key's age (issue 15), then nothing in flight.
    expect((await keyrot(['status', plan], { cwd: ws.dir })).stdout).toMatch(/^demo {2}generated .* active key-\w+ \d+s old \(no schedule.maxAge\)\n {2}last: purge-from-store ok at .*\nnothing in flight\n$/s);
    expect(readAudit(stateDir()).map((r) => r.action)).toEqual([
      'create-key', 'publish', 'verify',
      'create-key', 'publish', 'verify', 'deactivate-key', 'retire-from-store', 'delete-key', 'purge-from-store',
    ]);

    const secrets = [...firstSecrets, ...secretsIn(store)];
    const everything = [first.stdout, first.stderr, second.stdout, second.stderr, ws.allText().replace(readFileSync(storeFile(), 'utf8'), '')].join('\n');
    expect(leakedIndexes(everything, secrets)).toEqual([]);
  });

  it('with --no-wait exits 75 at each wait and finishes once the stored deadlines pass', async () => {
    const plan = ws.plan('demo', localPlan('demo'));
    expect((await keyrot(['run', '--no-wait', plan], { cwd: ws.dir })).code).toBe(0); // first key

    const drain = await keyrot(['run', '--no-wait', plan], { cwd: ws.dir });
    expect(drain.code).toBe(75);
    expect(drain.stdout).toMatch(/waiting drain: overlap window until/);
    const status = await keyrot(['status', plan], { cwd: ws.dir });
    const state = readState(stateDir(), 'demo')!;
    expect(status.stdout).toContain(`old key ${state.oldKeyId}  new key ${state.newKeyId} ${state.newFingerprint}`);
    expect(status.stdout).toMatch(/next: drain ends .* \(in 1[45]m\d*s?\)/);

    expect((await keyrot(['run', '--no-wait', plan], { cwd: ws.dir })).code).toBe(75); // still draining
    expireDeadline('drain');
    const soak = await keyrot(['run', '--no-wait', plan], { cwd: ws.dir });
    expect(soak.code).toBe(75);
    expect(readState(stateDir(), 'demo')).toMatchObject({ phase: 'soak', stage: 'waiting' });
    expireDeadline('soak');
    expect((await keyrot(['run', '--no-wait', '--yes', plan], { cwd: ws.dir })).code).toBe(0);
    expect(readStore(storeFile()).previous).toBeUndefined();
  });

  it('status names the step a held run stopped at ("delete held"), not the outcome twice', async () => {
    const plan = ws.plan('demo', localPlan('demo', { drain: '0s', soak: '0s' }));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(0); // first key
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(3); // no terminal, no --yes: the delete holds
    const shown = (await keyrot(['status', plan], { cwd: ws.dir })).stdout;
    expect(shown).toMatch(/\n {2}last: delete held at \d{4}-/);
    expect(shown).not.toContain('held held');
  });

  it('status after a publish that failed says it did not finish, not that it was interrupted', async () => {
    // The target is a link into a folder that does not exist: read as absent, it cannot be written.
    symlinkSync('missing-folder/keys.json', path.join(ws.dir, 'demo-keys.json'));
    const plan = ws.plan('demo', localPlan('demo'));
    expect((await keyrot(['run', plan], { cwd: ws.dir })).code).toBe(4);
    const shown = (await keyrot(['status', plan], { cwd: ws.dir })).stdout;
    expect(shown).toContain('next: publish did not finish (interrupted, or a call failed); the next run finishes it');
    expect(shown).not.toContain('was interrupted');
  });

  it('approve says when the delete happens: at the end of the soak, or on the next run once it is over', async () => {
    const approve = async (soak: string) => {
      const plan = ws.plan(`soak-${soak}`, localPlan(`soak-${soak}`, { drain: '0s', soak, rehearse: true, delete: { requireApproval: true } }));
      await keyrot(['run', '--yes', '--no-wait', plan], { cwd: ws.dir });
      return (await keyrot(['approve', plan], { cwd: ws.dir })).stdout;
    };
    expect(await approve('0s')).toMatch(/is approved; it happens on the next run \(the soak is over\)/);
    expect(await approve('1h')).toMatch(/is approved; it happens once the soak is over \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/);
  });

  it('prints NDJSON with --json', async () => {
    const plan = ws.plan('demo', localPlan('demo'));
    const result = await keyrot(['run', '--json', plan], { cwd: ws.dir });
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type !== 'note').map((e) => `${e.type}${e.phase ? ` ${e.phase}` : ''}`)).toEqual([
      'start create', 'phase create', 'step create', 'phase publish', 'step publish', 'phase verify', 'step verify', 'done', 'summary',
    ]);
    expect(events.every((e) => typeof e.time === 'string' && e.plan !== undefined || e.type === 'summary')).toBe(true);
  });
});

describe('bad input', () => {
  it('reports every mistake in a plan with line and column, exits 2 and touches nothing', async () => {
    const plan = ws.write('broken.yaml', [
      'apiVersion: keyrot/v2',
      'name: Broken Plan',
      'source: { type: generated, bytes: 4 }',
      'publish: []',
      'drain: soon',
      'extra: 1',
    ].join('\n'));
    const result = await keyrot(['run', plan], { cwd: ws.dir });
    expect(result.code).toBe(2);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith(plan));
    expect(lines.map((l) => l.slice(plan.length).split('  ')[0])).toEqual([':1:13', ':2:7', ':3:35', ':4:10', ':5:8', ':6:1']);
    expect(result.stderr).toContain('6 problems in 1 plan file; nothing was touched');
    expect(ws.exists('.keyrot')).toBe(false);
  });

  it('an empty plan file (or one with only comments): exit 2 naming it and saying it is empty, not "apiVersion must be keyrot/v1"', async () => {
    for (const [name, text] of [['empty.yaml', ''], ['comments.yaml', '# a plan, to be written\n\n']] as const) {
      const plan = ws.write(name, text);
      const result = await keyrot(['run', plan], { cwd: ws.dir });
      expect(result.code, name).toBe(2);
      expect(result.stderr).toContain(`${plan}:1:1  (file)  the plan file is empty`);
      expect(result.stderr).not.toContain('apiVersion');
      expect(ws.exists('.keyrot')).toBe(false);
    }
  });

  it('exits 2 for an unknown option, with usage help', async () => {
    const result = await keyrot(['run', '--frobnicate', 'x.yaml'], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--frobnicate'");
  });

  it('exits 2 for a path that holds no plan', async () => {
    const result = await keyrot(['run', 'nowhere.yaml'], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no plan at nowhere.yaml');
  });
});
