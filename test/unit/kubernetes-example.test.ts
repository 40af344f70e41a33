// examples/kubernetes/: the manifests pass kubernetes-validate (PyPI; the Kubernetes JSON schemas,
// strict: no unknown field), say what the CronJob must (Forbid, exit 75 as success, Vault state with
// Kubernetes auth, plans from the ConfigMap), the wrapper really maps 75 to 0, the plans in the
// ConfigMap are valid keyrot plans, and the Dockerfile builds a non-root node:20-slim image.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseVaultSpec } from '../../src/state/vault-address.js';
import { keyrot } from '../helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIR = path.join(ROOT, 'examples', 'kubernetes');
const MANIFESTS = ['serviceaccount.yaml', 'plans-configmap.yaml', 'cronjob.yaml'];
const read = (name: string) => readFileSync(path.join(DIR, name), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are read ad hoc
const doc = (name: string): any => parse(read(name));

describe('examples/kubernetes', () => {
  it('every manifest passes kubernetes-validate --strict (the Kubernetes schemas)', async () => {
    const { stdout } = await promisify(execFile)('bash', [path.join(ROOT, 'scripts/test-peers/kubernetes-validate.sh'), 'install'], { maxBuffer: 1 << 20 });
    const validator = stdout.trim().split('\n').pop()!;
    const r = spawnSync(validator, ['--strict', ...MANIFESTS], { cwd: DIR, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout.match(/passed/g)).toHaveLength(MANIFESTS.length);
    expect(parse(read('kustomization.yaml')).resources).toEqual(MANIFESTS);
  }, 300_000);

  it('the CronJob: Forbid, keyrot run --due --no-wait --yes /plans, Vault state with Kubernetes auth, plans from the ConfigMap, sized, non-root', () => {
    const cron = doc('cronjob.yaml');
    expect(parseAllDocuments(read('cronjob.yaml'))).toHaveLength(1);
    expect(cron).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob', spec: { concurrencyPolicy: 'Forbid' } });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: doc('serviceaccount.yaml').metadata.name, restartPolicy: 'Never', securityContext: { runAsNonRoot: true } });
    const [container] = pod.containers;
    const script: string = container.args.join('\n');
    expect(script).toContain('keyrot run --due --no-wait --yes --output plain /plans');
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));

    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const state = parseVaultSpec(env.KEYROT_STATE);
    expect(state.auth).toMatchObject({ method: 'kubernetes', role: 'keyrot' });
    expect(env.VAULT_ADDR).toMatch(/^https:\/\//);
    // The policy grants the state prefix (and nothing in the example asks for more than it grants).
    expect(read('vault-policy.hcl')).toContain(`path "${state.mount}/data/${state.prefix}/*"`);
    expect(read('vault-policy.hcl')).toContain(`path "${state.mount}/metadata/${state.prefix}/*"`);

    const mounts = Object.fromEntries(container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes[mounts['/plans']].configMap.name).toBe(doc('plans-configmap.yaml').metadata.name);
    // The Kubernetes auth login reads the service account token where keyrot looks by default.
    expect(mounts['/var/run/secrets/kubernetes.io/serviceaccount']).toBeDefined();
  });

  it('the wrapper exits 0 for 75 (rotations waiting), passes every other code through, and passes SIGTERM on', () => {
    const script: string = doc('cronjob.yaml').spec.jobTemplate.spec.template.spec.containers[0].args.join('\n');
    const bin = mkdtempSync(path.join(os.tmpdir(), 'keyrot-wrapper-'));
    try {
      const fake = path.join(bin, 'keyrot');
      writeFileSync(fake, '#!/bin/sh\ntrap \'exit 130\' TERM\n[ -n "$FAKE_SLEEP" ] && { sleep "$FAKE_SLEEP" & wait $!; }\nexit "$FAKE_RC"\n');
      chmodSync(fake, 0o755);
      const run = (rc: number, extra: Record<string, string> = {}, timeout?: number) =>
        spawnSync('/bin/sh', ['-c', script], { env: { PATH: `${bin}:${process.env.PATH}`, FAKE_RC: String(rc), ...extra }, encoding: 'utf8', timeout, killSignal: 'SIGTERM' });
      expect(run(0).status).toBe(0);
      expect(run(75).status).toBe(0);
      expect(run(3).status).toBe(3);
      expect(run(4).status).toBe(4);
      expect(run(1).status).toBe(1);
      // SIGTERM to the wrapper (the pod's PID 1) reaches keyrot, whose own exit code (130) is the job's.
      const stopped = run(0, { FAKE_SLEEP: '20' }, 1_000);
      expect(stopped.status).toBe(130);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 30_000);

  it('the plans in the ConfigMap are valid keyrot plans that hold no secret', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyrot-k8s-plans-'));
    try {
      const data: Record<string, string> = doc('plans-configmap.yaml').data;
      expect(Object.keys(data).length).toBeGreaterThan(0);
      for (const [name, text] of Object.entries(data)) writeFileSync(path.join(dir, name), text);
      const r = await keyrot(['validate', '.'], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      for (const text of Object.values(data)) expect(parse(text).publish[0].auth).toMatchObject({ method: 'kubernetes' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Dockerfile: node:20-slim, runtime dependencies only (npm ci --omit=dev), a numeric non-root user', () => {
    const docker = read('Dockerfile');
    const froms = docker.match(/^FROM .*/gm)!;
    expect(froms.every((f) => f.startsWith('FROM node:20-slim'))).toBe(true);
    const final = docker.slice(docker.lastIndexOf('\nFROM '));
    expect(final).toMatch(/npm ci --omit=dev/);
    expect(final).toMatch(/^USER 10001:10001$/m);
    expect(final).toContain('ENTRYPOINT ["keyrot"]');
    expect(doc('cronjob.yaml').spec.jobTemplate.spec.template.spec.securityContext.runAsUser).toBe(10001);
  });

  it('the Dockerfile\'s build stage copies in every script `npm run build` runs (the esbuild bundle step)', () => {
    const docker = read('Dockerfile');
    const buildStage = docker.slice(0, docker.lastIndexOf('\nFROM '));
    const copied = (buildStage.match(/^COPY .*/gm) ?? []).join('\n');
    const build = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build;
    const scripts = build.match(/scripts\/[\w./-]+/g) ?? [];
    expect(scripts).not.toEqual([]);
    for (const script of scripts) expect(copied, `${script} is not copied into the build stage`).toContain(script);
  });
});
