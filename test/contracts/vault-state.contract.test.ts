// The Vault state backend (--state vault://secret/<prefix>) against the StateStore contract, on
// OpenBao 2.7.2 (test/peers/openbao.ts), with a token limited to the prefix by an ACL policy.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRotation } from '../../src/engine/rotation.js';
import { openState } from '../../src/state/open.js';
import { LISTED_PER_PAGE } from '../../src/state/vault-mirror.js';
import type { StateStore } from '../../src/state/store.js';
import { type ForwardingProxy, startForwardingProxy } from '../peers/forwarding-proxy.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';
import { failure } from './secret-store.contract.js';
import { stateStoreContract } from './state-store.contract.js';

const LEASE_MS = 4_000;
let bao: OpenBao;
let token: string;
/** Every request a store sends goes through it, counted. */
let proxy: ForwardingProxy;
let requests = 0;
/** Of them, OpenBao's detailed listings. */
let listings = 0;

beforeAll(async () => {
  bao = await startOpenBao();
  // What the README asks operators to grant: data and metadata under the prefix, and its detailed listing.
  await bao.policy('keyrot-state', [
    'path "secret/data/keyrot-contract/*" { capabilities = ["create", "read", "update"] }',
    'path "secret/metadata/keyrot-contract/*" { capabilities = ["list", "read", "create", "update"] }',
    'path "secret/detailed-metadata/keyrot-contract/*" { capabilities = ["list"] }',
  ].join('\n'));
  // The policy before issue 27 (no metadata writes, no detailed listing): what a HashiCorp Vault user sees too.
  await bao.policy('keyrot-state-plain', [
    'path "secret/data/keyrot-contract/*" { capabilities = ["create", "read", "update"] }',
    'path "secret/metadata/keyrot-contract/*" { capabilities = ["list", "read"] }',
  ].join('\n'));
  token = await bao.token(['keyrot-state']);
  proxy = await startForwardingProxy(bao.address);
  proxy.injectFaults((req) => {
    requests++;
    if (req.url?.includes('/detailed-metadata/')) listings++;
    return undefined;
  });
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await bao?.stop();
});

stateStoreContract('vault (OpenBao)', async () => {
  const prefix = `keyrot-contract/${randomUUID()}`;
  const spec = `vault://secret/${prefix}?lease=${LEASE_MS / 1000}s`;
  const env = { VAULT_ADDR: proxy.address, VAULT_TOKEN: token };
  const open = (): Promise<StateStore> => openState(spec, env).of({ dir: process.cwd() });
  const store = await open();
  // Every handle is a new store object (its own login), as on another host.
  const others: StateStore[] = [await open(), await open(), await open(), await open()];
  let n = 0;
  return {
    store,
    spec,
    env,
    reopen: () => others[n++ % others.length]!,
    // Not renewed for a whole lease, as this process saw it: never sooner.
    takeoverAfterMs: LEASE_MS - 100,
    takeoverWithinMs: LEASE_MS + 5_000,
    corrupt: async (plan) => {
      const answer = await bao.root.post(`secret/data/${prefix}/state/${plan}`, { data: { record: '{"format": 1, "plan": ' } });
      expect(answer.status).toBe(200);
    },
    requests: () => requests,
  };
});

describe('vault state: logging in as the --state URL says', () => {
  it('AppRole ids from the environment variables the URL names (as the CronJob names Kubernetes auth); a bad secret_id is refused, not shown', async () => {
    const { roleId, secretId } = await bao.appRole('keyrot-state', ['keyrot-state']);
    const spec = `vault://secret/keyrot-contract/${randomUUID()}?auth=approle&roleIdEnv=KR_ROLE_ID&secretIdEnv=KR_SECRET_ID`;
    const env = { VAULT_ADDR: bao.address, KR_ROLE_ID: roleId, KR_SECRET_ID: secretId };
    const store = await openState(spec, env).of({ dir: process.cwd() });
    await store.save(newRotation('approle', new Date(), 'r1'));
    expect((await store.load('approle'))?.rotationId).toBe('r1');

    const wrong = 'not-the-secret-id-0123456789';
    const refused = await failure((await openState(spec, { ...env, KR_SECRET_ID: wrong }).of({ dir: process.cwd() })).load('approle'));
    expect(refused.code).toBe('provider-auth-failed');
    expect(refused.message).toContain('AppRole login at auth/approle failed');
    expect(`${refused.message} ${refused.hint}`).not.toContain(wrong);
    expect(`${refused.message} ${refused.hint}`).not.toContain(secretId);
  });
});

describe('vault state: a run that outlives its login', () => {
  it('logs in again (AppRole) when the token it got has expired, and goes on', async () => {
    const role = 'keyrot-short';
    await bao.appRole(role, ['keyrot-state']);
    // Tokens of this role live 2 s: the store's first token is gone by its second call.
    const answer = await bao.root.post(`auth/approle/role/${role}`, { token_policies: ['keyrot-state'], token_ttl: '2s', token_max_ttl: '2s' });
    expect(answer.status).toBe(204);
    const roleId = (await bao.root.get(`auth/approle/role/${role}/role-id`)).body.data.role_id;
    const secretId = (await bao.root.post(`auth/approle/role/${role}/secret-id`, {})).body.data.secret_id;
    const spec = `vault://secret/keyrot-contract/${randomUUID()}?auth=approle&roleIdEnv=KR_ROLE_ID&secretIdEnv=KR_SECRET_ID&authMount=approle`;
    const store = await openState(spec, { VAULT_ADDR: bao.address, KR_ROLE_ID: roleId, KR_SECRET_ID: secretId }).of({ dir: process.cwd() });
    const saved = await store.save(newRotation('long-run', new Date(), 'r1'));
    await new Promise((r) => setTimeout(r, 3_000));
    await store.save({ ...saved, phase: 'publish' });
    expect((await store.load('long-run'))?.phase).toBe('publish');
  }, 30_000);
});

describe('vault state: many plans read at once (issue 27)', () => {
  const holder = () => ({ host: 'test', pid: process.pid, command: 'keyrot run many.yaml', since: new Date().toISOString() });
  const entry = { id: 'key-1', status: 'active' as const, createdAt: new Date().toISOString(), fingerprint: 'sha256:0123abcd' };
  const audit = (plan: string, outcome: 'ok' | 'failed') => ({ time: new Date().toISOString(), plan, rotationId: 'r1', phase: 'verify', action: 'verify', outcome });

  /** N plans each run under its lock (record, ledger, two audit records), as a tick leaves them. */
  async function fleet(policy: string, n: number): Promise<{ store: StateStore; other: StateStore; plans: string[] }> {
    const spec = `vault://secret/keyrot-contract/${randomUUID()}`;
    const env = { VAULT_ADDR: proxy.address, VAULT_TOKEN: await bao.token([policy]) };
    const store = await openState(spec, env).of({ dir: process.cwd() });
    const plans = Array.from({ length: n }, (_, i) => `many-${i}`);
    for (const p of plans) {
      const lock = await store.lock(p, holder(), 0);
      await store.save({ ...newRotation(p, new Date(), `r-${p}`), phase: 'drain' });
      await store.ledger(p).save([entry], 0);
      await store.audit.append(audit(p, 'failed'));
      await store.audit.append(audit(p, 'ok'));
      await lock.release();
    }
    return { store, other: await openState(spec, env).of({ dir: process.cwd() }), plans };
  }

  async function everything(store: StateStore, plans: string[]) {
    const records = new Map<string, string | undefined>();
    for await (const page of store.peek(plans)) for (const p of page) records.set(p.plan, p.state ? `${p.state.rotationId}/${p.state.phase}` : undefined);
    const ledgers = new Map<string, number | undefined>();
    for await (const page of store.peekLedgers(plans)) for (const l of page) ledgers.set(l.plan, l.keys?.length);
    const audits = await store.audit.summaries(plans);
    return { records, ledgers, lastOutcome: plans.map((p) => audits.get(p)?.last.outcome), failed: plans.map((p) => Boolean(audits.get(p)?.lastFailureAt)) };
  }

  it('answers every record, ledger and audit summary from one listing request each once their lock holders copied them, and never a copy older than its record', async () => {
    const { store, other, plans } = await fleet('keyrot-state', 30);
    const asked = [...plans, 'never-run-1', 'never-run-2'];
    const before = requests;
    const seen = await everything(store, asked);
    expect(requests - before).toBe(3); // one detailed listing each: records, ledgers, audit histories
    expect(seen.records.get('many-7')).toBe('r-many-7/drain');
    expect(seen.records.get('never-run-1')).toBeUndefined();
    expect(seen.ledgers.get('many-7')).toBe(1);
    expect(seen.lastOutcome.slice(0, 30).every((o) => o === 'ok')).toBe(true);
    expect(seen.failed.slice(0, 30).every(Boolean)).toBe(true);

    // Another process saves a newer record of many-3 and never copies it (it died before releasing its lock).
    const stale = (await other.load('many-3'))!;
    await other.save({ ...stale, phase: 'soak' });
    const after = requests;
    const again = await everything(store, asked);
    expect(again.records.get('many-3')).toBe('r-many-3/soak'); // read, since its copy is of an older version
    expect(requests - after).toBe(4);
  });

  it('pages through more than one listing page, each plan answered once, the next page asked for while the caller still holds this one', async () => {
    const spec = `vault://secret/keyrot-contract/${randomUUID()}`;
    const env = { VAULT_ADDR: proxy.address, VAULT_TOKEN: await bao.token(['keyrot-state']) };
    const store = await openState(spec, env).of({ dir: process.cwd() });
    // A page and a bit of records, each copied by its lock holder.
    const plans = Array.from({ length: LISTED_PER_PAGE + 20 }, (_, i) => `paged-${String(i).padStart(4, '0')}`);
    const limit = pLimit(16);
    await Promise.all(plans.map((p) => limit(async () => {
      const lock = await store.lock(p, holder(), 0);
      await store.save({ ...newRotation(p, new Date(), `r-${p}`), phase: 'drain' });
      await lock.release();
    })));
    const reader = await openState(spec, env).of({ dir: process.cwd() });
    const answered: string[] = [];
    const before = listings;
    let pages = 0;
    for await (const page of reader.peek([...plans, 'never-run'])) {
      if (pages++ === 0) {
        // The caller holds the first page: the second listing reaches OpenBao meanwhile, not after it is done.
        const deadline = Date.now() + 10_000;
        while (listings - before < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        expect(listings - before).toBe(2);
      }
      for (const p of page) {
        answered.push(p.plan);
        if (p.plan !== 'never-run') expect(p.state?.rotationId).toBe(`r-${p.plan}`);
      }
    }
    expect(pages).toBeGreaterThan(1);
    expect(answered.sort()).toEqual([...plans, 'never-run'].sort());
    expect(listings - before).toBe(2); // two pages, nothing asked twice
  }, 240_000);

  /** What keyrot status reads (StateStore.peekPlans), as it shows it: phase, keys in the ledger, last outcome. */
  async function status(store: StateStore, plans: string[]) {
    const shown = new Map<string, { record: string | undefined; keys: number | undefined; last: string | undefined }>();
    for await (const page of store.peekPlans(plans, new Set(plans))) {
      for (const p of page) {
        expect(shown.has(p.plan)).toBe(false);
        shown.set(p.plan, { record: p.state ? `${p.state.rotationId}/${p.state.phase}` : undefined, keys: p.ledger?.length, last: p.audit?.last.outcome });
      }
    }
    expect([...shown.keys()].sort()).toEqual([...plans].sort());
    return shown;
  }
  const lockPath = (store: StateStore, plan: string) => `${store.location.replace('vault://secret/', 'secret/data/')}/lock/${plan}`;
  const lockMeta = (store: StateStore, plan: string) => lockPath(store, plan).replace('secret/data/', 'secret/metadata/');

  it('status: every plan from one listing of the locks once their holders released them; a session that died after taking the lock is read instead', async () => {
    const { store, other, plans } = await fleet('keyrot-state', 30);
    const before = requests;
    const seen = await status(store, plans);
    expect(requests - before).toBe(1); // the detailed listing of lock/, nothing else
    expect(seen.get('many-7')).toEqual({ record: 'r-many-7/drain', keys: 1, last: 'ok' });

    // Another host takes many-3's lock, saves a newer record and an audit record, and dies before releasing it.
    const held = await other.lock('many-3', holder(), 0);
    await other.save({ ...(await other.load('many-3'))!, phase: 'soak' });
    await other.audit.append(audit('many-3', 'failed'));
    const after = requests;
    const again = await status(store, plans);
    expect(again.get('many-3')).toEqual({ record: 'r-many-3/soak', keys: 1, last: 'failed' });
    expect(again.get('many-4')).toEqual({ record: 'r-many-4/drain', keys: 1, last: 'ok' });
    expect(requests - after).toBe(4); // the listing, and many-3's record, ledger and audit history read

    // A plan never run (no lock) is read, and has nothing.
    const never = await status(store, ['never-run']);
    expect(never.get('never-run')).toEqual({ record: undefined, keys: 0, last: undefined });
    await held.release();
  });

  it('status: a lock keeps only its current version once a holder copied into it, so the listing does not grow with every session', async () => {
    const { store, plans } = await fleet('keyrot-state', 2);
    const versions = async () => {
      const { body } = await bao.root.get(lockMeta(store, 'many-1'));
      return { kept: body.data.max_versions as number, listed: Object.keys(body.data.versions as object), current: String(body.data.current_version) };
    };
    expect((await versions()).kept).toBe(1);
    // The next session's lease written with cas over the one version kept, and freed again.
    for (let session = 0; session < 2; session++) {
      const lock = await store.lock('many-1', holder(), 0);
      await store.save({ ...(await store.load('many-1'))!, phase: session === 0 ? 'soak' : 'delete' });
      await store.ledger('many-1').load();
      await store.audit.append(audit('many-1', 'ok'));
      await lock.release();
    }
    const { listed, current } = await versions();
    expect(listed).toEqual([current]);
    expect(Number(current)).toBeGreaterThan(4); // every lease written and freed with cas since: no write refused
    const before = requests;
    const seen = await status(store, plans);
    expect(requests - before).toBe(1);
    expect(seen.get('many-1')).toEqual({ record: 'r-many-1/delete', keys: 1, last: 'ok' });
  });

  it('status: a copy left behind by a release from a keyrot that writes none (an older version) is not used', async () => {
    const { store, other, plans } = await fleet('keyrot-state', 5);
    // An older keyrot: takes the lock (a plain cas write of its lease), saves, releases with a plain cas write of {lock: ''}.
    const meta = async () => (await bao.root.get(lockMeta(store, 'many-2'))).body.data.current_version as number;
    let answer = await bao.root.post(lockPath(store, 'many-2'), { data: { lock: JSON.stringify({ host: 'old', pid: 1, command: 'keyrot run', since: new Date().toISOString(), token: 'old', expiresAt: new Date(Date.now() + 60_000).toISOString(), leaseMs: 60_000 }) }, options: { cas: await meta() } });
    expect(answer.status).toBe(200);
    await other.save({ ...(await other.load('many-2'))!, phase: 'delete' });
    answer = await bao.root.post(lockPath(store, 'many-2'), { data: { lock: '' }, options: { cas: await meta() } });
    expect(answer.status).toBe(200);
    const seen = await status(store, plans);
    expect(seen.get('many-2')).toEqual({ record: 'r-many-2/delete', keys: 1, last: 'ok' });
    expect(seen.get('many-1')).toEqual({ record: 'r-many-1/drain', keys: 1, last: 'ok' });
  });

  it('status: after taking over an expired lock, the holder copies only what it wrote; a late write of the old holder shows', async () => {
    const { store, other, plans } = await fleet('keyrot-state', 3);
    // The old holder read the record under its lock, then froze past its lease (its lease written an hour ago).
    const before = (await other.load('many-1'))!;
    const version = (await bao.root.get(lockMeta(store, 'many-1'))).body.data.current_version as number;
    const lease = { host: 'frozen', pid: 7, command: 'keyrot run', since: new Date().toISOString(), token: 'frozen', expiresAt: new Date(Date.now() - 3_600_000).toISOString(), leaseMs: 60_000 };
    expect((await bao.root.post(lockPath(store, 'many-1'), { data: { lock: JSON.stringify(lease) }, options: { cas: version } })).status).toBe(200);
    // This host takes the lock over and reads the record; the old holder wakes and its save lands (nobody wrote since it read).
    const lock = await store.lock('many-1', holder(), 0);
    expect((await store.load('many-1'))?.phase).toBe('drain');
    await other.save({ ...before, phase: 'soak' });
    await lock.release();
    const seen = await status(store, plans);
    expect(seen.get('many-1')).toEqual({ record: 'r-many-1/soak', keys: 1, last: 'ok' });
  });

  it('status: a garbled copy, at the lock\'s current version, costs a read, never a wrong answer', async () => {
    const { store, plans } = await fleet('keyrot-state', 5);
    const current = (await bao.root.get(lockMeta(store, 'many-1'))).body.data.current_version as number;
    const garbled: Record<string, Record<string, string>> = {
      'not JSON': { 'keyrot-of': String(current), 'keyrot-0': '{"state": "{\\"format' },
      'views that do not decode': { 'keyrot-of': String(current), 'keyrot-0': JSON.stringify({ state: '{"format": 1}', ledger: '[1, 2]', audit: '{"last": 5}' }) },
    };
    for (const [what, custom] of Object.entries(garbled)) {
      expect((await bao.root.post(lockMeta(store, 'many-1'), { custom_metadata: custom })).status, what).toBe(204);
      const before = requests;
      const seen = await status(store, plans);
      expect(seen.get('many-1'), what).toEqual({ record: 'r-many-1/drain', keys: 1, last: 'ok' });
      expect(requests - before, what).toBe(4); // the listing, and many-1's three secrets read
    }
  });

  it('answers the same without the detailed listing or metadata writes (HashiCorp Vault, or an older policy): one read per secret', async () => {
    const { store, plans } = await fleet('keyrot-state-plain', 12);
    const before = requests;
    const seen = await everything(store, [...plans, 'never-run']);
    expect(seen.records.get('many-11')).toBe('r-many-11/drain');
    expect(seen.records.get('never-run')).toBeUndefined();
    expect(seen.ledgers.get('many-11')).toBe(1);
    expect(seen.lastOutcome.slice(0, 12).every((o) => o === 'ok')).toBe(true);
    // Per kind: the refused detailed listing, one LIST, one read per secret.
    expect(requests - before).toBeLessThanOrEqual(3 * (2 + plans.length));
  });
});
