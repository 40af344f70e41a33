// A plan's http source with its preset merged in: the plan's fields win, call by call, and its
// values over the preset's defaults. checkResolved reports what the merged whole lacks, at the
// plan field to fix; resolve returns it complete, for the issuer.
import type * as z from 'zod';
import type { AdminAuth } from './auth-schema.js';
import { callsSchema, type Calls } from './calls-schema.js';
import { PRESETS } from './presets/index.js';
import type { HttpSourceParsed } from './schema.js';
import { BUILT_IN, placeholdersDeep, placeholdersIn } from './template.js';
import { CLEARTEXT_REFUSED, safeForCredentials } from '../../../shared/loopback.js';

type Required<C> = NonNullable<C>;

export interface ResolvedCalls {
  create: Required<Calls['create']>;
  list: Required<Calls['list']>;
  delete: Required<Calls['delete']>;
  verify: Required<Calls['verify']>;
  deactivate?: Calls['deactivate'];
  reactivate?: Calls['reactivate'];
  lastUsed?: Calls['lastUsed'];
  doctor?: Calls['doctor'];
}

export interface ResolvedHttp extends Omit<HttpSourceParsed, 'calls' | 'auth' | 'baseUrl' | 'vendor' | 'maxKeys' | 'keyName' | 'marker' | 'values' | 'forbiddenMeans'> {
  vendor: string;
  forbiddenMeans: 'no-permission' | 'bad-credential-or-no-permission';
  baseUrl: string;
  auth: AdminAuth;
  maxKeys: number;
  keyName: string;
  marker: { path: string; prefix?: string; equals?: string };
  values: Record<string, unknown>;
  calls: ResolvedCalls;
  /** The preset's least-privilege text (empty without a preset), for doctor and init. */
  permissions: string[];
}

/** The preset's fields under the plan's own, before the checks. */
function merged(plan: HttpSourceParsed) {
  const preset = plan.preset ? PRESETS[plan.preset] : undefined;
  const base = preset ? { ...preset.source, calls: callsSchema.parse(preset.source.calls ?? {}) } : { calls: {} as Calls };
  const defaults = Object.fromEntries(Object.entries(preset?.values ?? {}).flatMap(([k, v]) => (v.default === undefined ? [] : [[k, v.default]])));
  const calls: Calls = { ...base.calls, ...plan.calls };
  const keyName = plan.keyName ?? base.keyName ?? 'keyrot-{{plan}}-{{now}}';
  const marker = plan.marker ?? base.marker ?? (calls.list?.namePath ? { path: calls.list.namePath, prefix: 'keyrot-{{plan}}-' } : undefined);
  return {
    preset,
    vendor: plan.vendor ?? base.vendor ?? preset?.vendor ?? 'http issuer',
    baseUrl: plan.baseUrl ?? base.baseUrl,
    auth: plan.auth ?? (base.auth as AdminAuth | undefined),
    maxKeys: plan.maxKeys ?? base.maxKeys ?? 2,
    rateLimitHeader: plan.rateLimitHeader ?? base.rateLimitHeader,
    forbiddenMeans: plan.forbiddenMeans ?? base.forbiddenMeans ?? 'no-permission',
    keyName,
    marker,
    values: { ...defaults, ...plan.values } as Record<string, unknown>,
    calls,
  };
}

/** Where each call may use which placeholders (besides the plan's values). */
const ALLOWED: Record<keyof Calls, string[]> = {
  create: ['name', 'now', 'plan'],
  list: ['plan', 'now', 'keyId'],
  delete: ['keyId', 'item', 'plan'],
  deactivate: ['keyId', 'item', 'plan'],
  reactivate: ['keyId', 'item', 'plan'],
  lastUsed: ['keyId', 'item', 'plan'],
  verify: ['keyId', 'secret', 'plan'],
  doctor: ['plan', 'found'],
};

type Issue = { path: (string | number)[]; message: string };

function placeholderIssues(m: ReturnType<typeof merged>): Issue[] {
  const issues: Issue[] = [];
  // A value the preset declares and the plan lacks is reported once, as missing, not at every call using it.
  const valueNames = new Set([...Object.keys(m.values), ...Object.keys(m.preset?.values ?? {})]);
  const check = (where: (string | number)[], names: string[], allowed: string[]) => {
    for (const name of names) {
      const root = name.replace(/\?$/, '').split('.')[0]!;
      if (allowed.includes(root) || (valueNames.has(root) && !root.includes('.'))) continue;
      const hint = BUILT_IN.includes(root as (typeof BUILT_IN)[number]) ? `{{${root}}} is not available in this call` : `no value "${root}": add it under values`;
      issues.push({ path: where, message: `unknown template field {{${name}}}: ${hint}` });
    }
  };
  const checkCall = (where: (string | number)[], spec: Record<string, unknown>, allowed: string[]) => {
    for (const field of ['path', 'query', 'headers', 'body'] as const) {
      if (spec[field] !== undefined) check([...where, field], placeholdersDeep(spec[field]), allowed);
    }
  };
  for (const [op, spec] of Object.entries(m.calls) as [keyof Calls, Record<string, unknown> | undefined][]) {
    if (!spec) continue;
    if (Array.isArray(spec)) {
      spec.forEach((step: Record<string, unknown>, i) => checkCall(['calls', op, i], step, ALLOWED[op]));
      continue;
    }
    checkCall(['calls', op], spec, ALLOWED[op]);
    const detail = (spec as { detail?: Record<string, unknown> }).detail;
    if (detail) for (const field of ['path', 'query', 'headers', 'body'] as const) check(['calls', op, 'detail', field], placeholdersDeep(detail[field]), ALLOWED.list);
    if (op === 'verify' && spec.auth && (spec.auth as { username?: string }).username) check(['calls', 'verify', 'auth', 'username'], placeholdersIn((spec.auth as { username: string }).username), ALLOWED.verify);
  }
  check(['keyName'], placeholdersIn(m.keyName), ['now', 'plan', 'nonce']);
  if (m.marker) check(['marker'], placeholdersIn(m.marker.prefix ?? m.marker.equals ?? ''), ['plan']);
  return issues;
}

function issuesOf(plan: HttpSourceParsed): Issue[] {
  const m = merged(plan);
  const issues: Issue[] = [];
  const from = m.preset ? ` (preset ${m.preset.name} does not give one)` : '';
  if (!m.baseUrl) issues.push({ path: ['baseUrl'], message: `missing: the vendor's admin API address${from}` });
  else if (!safeForCredentials(m.baseUrl)) issues.push({ path: ['baseUrl'], message: CLEARTEXT_REFUSED });
  if (!m.auth) issues.push({ path: ['auth'], message: `missing: how keyrot authenticates to the admin API${from}` });
  for (const op of ['create', 'list', 'delete', 'verify'] as const) {
    if (!m.calls[op]) issues.push({ path: ['calls', op], message: `missing: the ${op} call${m.preset ? '' : ' (or a preset)'}` });
  }
  if (Boolean(m.calls.deactivate) !== Boolean(m.calls.reactivate)) {
    issues.push({ path: ['calls', m.calls.deactivate ? 'reactivate' : 'deactivate'], message: 'deactivate and reactivate go together (rollback switches the old key on again)' });
  }
  if (!m.marker) issues.push({ path: ['marker'], message: 'missing: what marks a key as keyrot\'s (or calls.list.namePath, to match keyrot-{{plan}}- names)' });
  for (const [name, spec] of Object.entries(m.preset?.values ?? {})) {
    if (m.values[name] === undefined) issues.push({ path: ['values', name], message: `missing: ${spec.describe} (preset ${m.preset!.name}), e.g. ${JSON.stringify(spec.example)}` });
  }
  for (const name of Object.keys(plan.values ?? {})) {
    if ((BUILT_IN as readonly string[]).includes(name) || name === 'item' || name === 'found') issues.push({ path: ['values', name], message: `"${name}" is filled in by keyrot: pick another name` });
  }
  return [...issues, ...placeholderIssues(m)];
}

export function checkResolved(plan: HttpSourceParsed, ctx: z.RefinementCtx): void {
  for (const issue of issuesOf(plan)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
}

export function resolve(plan: HttpSourceParsed): ResolvedHttp {
  const m = merged(plan);
  const { preset: _preset, calls: _calls, ...rest } = plan;
  return {
    ...rest,
    ...(plan.preset ? { preset: plan.preset } : {}),
    vendor: m.vendor,
    baseUrl: m.baseUrl!.replace(/\/+$/, ''),
    auth: m.auth!,
    maxKeys: m.maxKeys,
    ...(m.rateLimitHeader ? { rateLimitHeader: m.rateLimitHeader } : {}),
    forbiddenMeans: m.forbiddenMeans,
    keyName: m.keyName,
    marker: m.marker!,
    values: m.values,
    calls: m.calls as ResolvedCalls,
    permissions: m.preset?.permissions ?? [],
  };
}
