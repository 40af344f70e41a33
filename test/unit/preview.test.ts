// keyrot plan, through the engine operation: each phase's provider calls and what its gate checks, in
// the providers' own words, for the plan as written (verify, lastUsed, a usage source, a health check,
// approval); and what the gates that can be asked now would say.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preview, type PhasePreview } from '../../src/engine/operations/preview.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { load, run, sessionOptions } from '../helpers/engine.js';
import { localPlan, workspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let server: http.Server;
let usageUrl: string;
const clock = new FakeClock();
beforeEach(async () => {
  ws = workspace();
  // The service's own last-use endpoint: the key was never used.
  server = http.createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"lastUsedAt": null}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  usageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys/{{keyId}}/usage`;
});
afterEach(async () => {
  ws.cleanup();
  await new Promise((resolve) => server.close(resolve));
});

const LEDGER = /^generated: read the key ledger \(.*\.keyrot\/generated\/api\.json\)$/;
const options = () => sessionOptions(clock, [], {});
const byPhase = (phases: PhasePreview[]) => Object.fromEntries(phases.map((p) => [p.phase, p]));

describe('keyrot plan', () => {
  it('lists every phase with the calls it makes and what it checks, for a plan with every rule', async () => {
    const file = ws.plan('api', localPlan('api', {
      verify: true,
      lastUsed: { quietFor: '30m', maxWait: '1d' },
      usage: { type: 'http', url: usageUrl },
      healthCheck: { type: 'command', run: 'true', interval: '1h' },
      delete: { requireApproval: true },
    }));
    const loaded = await load(file);
    await run(loaded, clock); // the first key: now there is one to retire
    const { previews, exitCode } = await preview([loaded], options());

    expect(exitCode).toBe(0);
    const [p] = previews;
    expect(p!.phases.map((ph) => ph.phase)).toEqual(['create', 'publish', 'verify', 'drain', 'last-used', 'deactivate', 'soak', 'delete']);
    const ph = byPhase(p!.phases);
    const store = p!.targets[0]!;
    const usage = expect.stringMatching(/^usage endpoint http:\/\/127\.0\.0\.1:\d+: GET /);
    expect(ph.create!.calls).toEqual([expect.stringMatching(LEDGER), expect.stringMatching(/^generated: generate 32 random bytes/)]);
    expect(ph.publish!.calls).toEqual([expect.any(String), expect.any(String)]);
    expect(ph.verify!.calls).toEqual([expect.any(String), expect.stringMatching(/^generated: check the read-back secret/)]);
    expect(ph.verify!.checks).toMatch(/^every target serves the new key's fingerprint; the key authenticates \(generated: check/);
    expect(ph.drain!.calls).toEqual([]);
    expect(ph.drain!.checks).toBe('waits 15m (stored deadline)');
    expect(ph['last-used']!.calls).toEqual([expect.stringMatching(/^generated: last use is not reported/), usage]);
    expect(ph['last-used']!.checks).toMatch(/^old key idle for 30m by the issuer and by .* \(no answer holds\); holds \(exit 3\) after 1d$/);
    expect(ph.deactivate!.calls).toHaveLength(3);
    expect(ph.deactivate!.checks).toContain('read back again from each just before');
    expect(ph.soak!.checks).toBe('waits 7d after the last target stopped serving the old key (stored deadline); health check every 1h, a failure reactivates the old key');
    expect(ph.delete!.calls).toEqual([expect.stringMatching(/^generated: last use/), usage, expect.stringMatching(/^generated: remove the key/), expect.any(String)]);
    expect(ph.delete!.checks).toMatch(/^inactive for the whole soak, unused since deactivation by the issuer and by .* \(no answer holds\), confirmed \(unless --yes\), approved \(keyrot approve\)$/);
    expect(ph.delete!.permanent).toBe(true);
    expect(ph.create!.permanent).toBe(false);
    // Asked now: the create gate (room, and the target takes it), and the usage source about the current key.
    expect(ph.create!.now).toMatchObject({ verdict: 'pass', evidence: expect.arrayContaining([expect.stringMatching(/^retiring key-/), '1 of 2 key slots used']) });
    expect(ph['last-used']!.now).toMatchObject({ verdict: 'pass' });
    expect(store).toContain('api-keys.json');
  });

  it('with a usage source and an issuer with no room: says create would hold at the key limit, and asks usage about no key', async () => {
    const loaded = await load(ws.plan('api', localPlan('api', { lastUsed: { quietFor: '30m', maxWait: '1d' }, usage: { type: 'http', url: usageUrl } })));
    await run(loaded, clock);
    const ledger = ws.json<{ keys: Record<string, unknown>[] }>('.keyrot/generated/api.json');
    const spare = { id: 'key-0000000000aa', status: 'inactive', createdAt: clock.now().toISOString(), fingerprint: 'sha256:0000' };
    ws.write('.keyrot/generated/api.json', JSON.stringify({ ...ledger, keys: [spare, ...ledger.keys] }));
    const { previews, exitCode } = await preview([loaded], options());
    expect(exitCode).toBe(3);
    const ph = byPhase(previews[0]!.phases);
    expect(ph.create!.now).toMatchObject({ verdict: 'hold', code: 'key-limit', evidence: [expect.stringMatching(/^key-0000000000aa \(inactive/), expect.stringMatching(/\(active/)] });
    expect(ph['last-used']!.now).toBeNull(); // no old key picked: nothing to ask the usage source about
  });

  it('for a plan with no rules beyond the defaults: no usage calls, no health check, no approval', async () => {
    const loaded = await load(ws.plan('api', localPlan('api', { verify: false })));
    await run(loaded, clock);
    const ph = byPhase((await preview([loaded], options())).previews[0]!.phases);
    expect(ph.verify!.calls).toHaveLength(1);
    expect(ph.verify!.checks).toBe("every target serves the new key's fingerprint");
    expect(ph['last-used']!.calls).toEqual([]);
    expect(ph['last-used']!.checks).toBe('no lastUsed rule: passes');
    expect(ph.soak!.checks).toBe('waits 7d after the last target stopped serving the old key (stored deadline)');
    expect(ph.delete!.calls).toHaveLength(3);
    expect(ph.delete!.checks).toBe('inactive for the whole soak, unused since deactivation, confirmed (unless --yes)');
    expect(ph['last-used']!.now).toBeNull();
  });
});
