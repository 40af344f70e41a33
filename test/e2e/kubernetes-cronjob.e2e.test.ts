// examples/kubernetes/ as the CronJob's pod would run it, without a cluster: the container's own
// command (the sh wrapper around `keyrot run --due --no-wait --yes /plans`), the plans from the
// ConfigMap, KEYROT_STATE from the manifest, and OpenBao's real Kubernetes auth with the example's
// Vault policy, reviewing service account tokens through a stand-in Kubernetes API
// (test/peers/kubernetes-api.ts). A tick that parks a rotation in its drain exits 75: the pod succeeds.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { BIN, keyrot } from '../helpers/cli.js';
import { type KubernetesApi, startKubernetesApi } from '../peers/kubernetes-api.js';
import { type OpenBao, startOpenBao } from '../peers/openbao.js';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'kubernetes');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are read ad hoc
const manifest = (name: string): any => parse(readFileSync(path.join(EXAMPLE, name), 'utf8'));

let bao: OpenBao;
let k8s: KubernetesApi;
let pod: string;
beforeAll(async () => {
  bao = await startOpenBao();
  k8s = await startKubernetesApi();
  const ok = async (answer: Promise<{ status: number; body: unknown }>, what: string) => {
    const { status, body } = await answer;
    if (status >= 300) throw new Error(`${what}: HTTP ${status} ${JSON.stringify(body)}`);
  };
  await ok(bao.root.post('sys/auth/kubernetes', { type: 'kubernetes' }), 'enable kubernetes auth');
  await ok(bao.root.post('auth/kubernetes/config', { kubernetes_host: k8s.url, kubernetes_ca_cert: k8s.caCert, disable_local_ca_jwt: true }), 'configure it');
  // The policy and role exactly as examples/kubernetes/vault-policy.hcl says.
  await bao.policy('keyrot', readFileSync(path.join(EXAMPLE, 'vault-policy.hcl'), 'utf8'));
  const sa = manifest('serviceaccount.yaml').metadata;
  await ok(bao.root.post('auth/kubernetes/role/keyrot', { bound_service_account_names: [sa.name], bound_service_account_namespaces: [sa.namespace], token_policies: ['keyrot'], ttl: '15m' }), 'the role');
  pod = mkdtempSync(path.join(os.tmpdir(), 'keyrot-pod-'));
}, 180_000);
afterAll(async () => {
  await k8s?.close();
  await bao?.stop();
  if (pod) rmSync(pod, { recursive: true, force: true });
});

/** The pod's filesystem: the ConfigMap's plans, its service account token, and keyrot on the PATH. */
function podFiles(): { plans: string; token: string; bin: string } {
  const sa = manifest('serviceaccount.yaml').metadata;
  const token = path.join(pod, 'serviceaccount-token');
  writeFileSync(token, k8s.token(sa.namespace, sa.name));
  const plans = path.join(pod, 'plans');
  mkdirSync(plans, { recursive: true });
  for (const [name, text] of Object.entries(manifest('plans-configmap.yaml').data as Record<string, string>)) {
    const plan = parse(text);
    for (const target of plan.publish) if (target.auth?.method === 'kubernetes') target.auth.jwtFile = token; // the pod's default path, here
    writeFileSync(path.join(plans, name), stringify(plan));
  }
  const bin = path.join(pod, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'keyrot'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path.join(bin, 'keyrot'), 0o755);
  return { plans, token, bin };
}

/** One CronJob tick: the container's command and environment, with the pod's paths. */
async function tick(files: ReturnType<typeof podFiles>): Promise<{ code: number | null; out: string }> {
  const container = manifest('cronjob.yaml').spec.jobTemplate.spec.template.spec.containers[0];
  const script = (container.args as string[]).join('\n').replace(' /plans', ` ${files.plans}`);
  const env: Record<string, string> = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  env.VAULT_ADDR = bao.address; // the example names its own Vault
  env.KEYROT_STATE += `&jwtFile=${encodeURIComponent(files.token)}`;
  const child = spawn(container.command[0], [...container.command.slice(1), script], {
    cwd: pod, env: { PATH: `${files.bin}:${process.env.PATH}`, HOME: pod, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out };
}

const kv = async (p: string) => (await bao.root.get(`secret/data/${p}`)).body?.data?.data as Record<string, string> | undefined;

describe('the CronJob of examples/kubernetes, one tick at a time', () => {
  it('logs in with Kubernetes auth, keeps state in Vault, and a tick that leaves a rotation waiting is a successful pod', async () => {
    const files = podFiles();
    const first = await tick(files);
    expect(first.code, first.out).toBe(0); // the first key, issued and published
    expect(k8s.reviewed).toContain('keyrot/keyrot');
    const published = await kv('apps/billing/webhook-signing');
    expect(published?.key_id).toMatch(/^key-/);
    const state = JSON.parse((await kv('keyrot/state/billing-webhook'))!.record!);
    expect(state).toMatchObject({ phase: 'done', newKeyId: published!.key_id });

    // The key turns 31 days old: the next tick starts a rotation, which then waits out its 15-minute
    // drain. keyrot exits 75 there; the wrapper makes that a successful pod.
    const ledger = JSON.parse((await kv('keyrot/ledger/billing-webhook'))!.ledger!);
    ledger.keys[0].createdAt = new Date(Date.now() - 31 * 86_400_000).toISOString();
    const version = (await bao.root.get('secret/metadata/keyrot/ledger/billing-webhook')).body.data.current_version;
    expect((await bao.root.post('secret/data/keyrot/ledger/billing-webhook', { data: { ledger: JSON.stringify(ledger) }, options: { cas: version } })).status).toBe(200);
    const second = await tick(files);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/drain/);
    expect(JSON.parse((await kv('keyrot/state/billing-webhook'))!.record!)).toMatchObject({ phase: 'drain', stage: 'waiting', oldKeyId: published!.key_id });

    // Any machine with the same KEYROT_STATE sees it (here with the root token, as an operator would).
    const status = await keyrot(['status', '--output', 'json', '--state', 'vault://secret/keyrot'], { cwd: pod, env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken } });
    expect(JSON.parse(status.stdout).rotations).toEqual([expect.objectContaining({ plan: 'billing-webhook', phase: 'drain' })]);
    // Nothing of the secret reached keyrot's records.
    const secret = (await kv('apps/billing/webhook-signing'))!.secret!;
    for (const p of ['state', 'ledger', 'audit', 'lock']) expect(JSON.stringify(await kv(`keyrot/${p}/billing-webhook`))).not.toContain(secret);
  }, 120_000);
});
