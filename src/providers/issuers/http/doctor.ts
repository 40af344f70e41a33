// keyrot doctor for an http issuer: the admin credential is there; then the preset's own read-only
// calls (calls.doctor), each a finding: the credential authenticates (Datadog's validate, Cloudflare's
// token verify), or it holds what the preset needs, where the vendor can say (SendGrid's scopes of
// the calling key, Vault's sys/capabilities-self, the permission groups of a Cloudflare token). What
// no call can tell is said as "not checked", with the permissions the preset needs. The engine then
// lists the keys with it and counts them.
import { KeyrotError } from '../../../errors.js';
import type { Check } from '../../types.js';
import { adminHeaders, describeSource } from './auth.js';
import type { Calls } from './calls-schema.js';
import { findAll, findOne } from './json-path.js';
import type { Requester } from './request.js';
import type { ResolvedHttp } from './resolve.js';
import { fillText, type Vars } from './template.js';

type Step = NonNullable<Calls['doctor']>[number];

export async function httpDoctor(config: ResolvedHttp, req: Requester, vars: Vars, env: NodeJS.ProcessEnv, planDir: string): Promise<Check[]> {
  const checks: Check[] = [];
  const source = describeSource(config.auth);
  try {
    await adminHeaders(config.auth, { vendor: config.vendor, env, planDir });
    checks.push({ check: 'credentials', status: 'pass', detail: `admin credential from ${source}` });
  } catch (e) {
    if (!(e instanceof KeyrotError)) throw e;
    return [{ check: 'credentials', status: 'fail', detail: e.message, error: e }];
  }
  const found: Record<string, unknown> = {};
  for (const step of config.calls.doctor ?? []) {
    const check = await runStep(config, req, step, { ...vars, found });
    checks.push(check.finding);
    Object.assign(found, check.found);
    // Without a working credential nothing else can be asked: one finding, not the same one again.
    if (step.check === 'credentials' && check.finding.status === 'fail') return checks;
  }
  const permissionsChecked = (config.calls.doctor ?? []).some((s) => s.check === 'permissions');
  if (config.permissions.length && !permissionsChecked) {
    const needed = config.permissions.map((p) => fillText(p, config.values)).join('; ');
    checks.push({ check: 'permissions', status: 'skip', detail: `not checked (${config.vendor} cannot be asked what the credential may do; the list answering shows read access only); the credential needs: ${needed}` });
  }
  return checks;
}

async function runStep(config: ResolvedHttp, req: Requester, step: Step, vars: Vars): Promise<{ finding: Check; found: Record<string, unknown> }> {
  const request = req.describe(step, vars);
  let json: unknown;
  try {
    json = (await req.call('doctor', step, vars)).json;
  } catch (e) {
    if (!(e instanceof KeyrotError)) throw e;
    return { finding: { check: step.check, status: 'fail', detail: e.message, error: e }, found: {} };
  }
  const found = Object.fromEntries(Object.entries(step.capture ?? {}).map(([name, path]) => [name, findOne(json, path)]));
  const missing: string[] = [];
  for (const expected of step.expect ?? []) {
    const path = fillText(expected.path, vars);
    const granted = findAll(json, path).flat().map(String);
    if (expected.orOneOf?.some((v) => granted.includes(v))) continue;
    const needed = expected.includes.map((v) => fillText(v, vars));
    missing.push(...needed.filter((v) => !granted.includes(v)).map((v) => `${v} (at ${path})`));
  }
  if (missing.length === 0) return { finding: { check: step.check, status: 'pass', detail: `${config.vendor}: ${request}: ${step.proves}` }, found };
  const permissions = config.permissions.map((p) => fillText(p, config.values)).join('; ');
  const error = new KeyrotError('http-doctor-missing', { vendor: config.vendor, request, missing: missing.join(', '), permissions: permissions || missing.join(', ') });
  return { finding: { check: step.check, status: 'fail', detail: error.message, error }, found };
}
