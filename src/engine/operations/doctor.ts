// keyrot doctor: a preflight over every plan, reporting every problem at once, without side effects.
// Each provider checks what only it knows (its optional doctor()); the engine adds what holds for
// every issuer (the key count a rotation needs room in) and turns a provider that cannot even be
// set up, or a check that throws, into a failed finding: doctor itself never stops at the first one.
import { KeyrotError, reasonOf } from '../../errors.js';
import { commandArg, EXIT, type ExitCode } from '../../messages.js';
import type { LoadedPlan } from '../../plan/load.js';
import type { Check, KeyIssuer, SecretStore } from '../../providers/types.js';
import { redact } from '../../secrets/redact.js';
import type { StateStore } from '../../state/store.js';
import { formatDuration } from '../../shared/duration.js';
import type { UsageSource } from '../../providers/usage/source.js';
import type { Clock } from '../clock.js';
import type { OperationOptions } from '../options.js';
import { askSource } from '../usage.js';
import { buildEach, callProvider } from '../providers.js';
import { inFlight } from '../rotation.js';
import { count } from '../../shared/plural.js';

export interface ProviderReport {
  role: 'issuer' | 'target' | 'usage';
  provider: string;
  checks: Check[];
}

export interface PlanDoctor {
  plan: string;
  file: string;
  /** No check failed (warnings allowed). */
  ok: boolean;
  providers: ProviderReport[];
}

const failed = (check: string, e: unknown, planArg: string): Check => {
  if (e instanceof KeyrotError) {
    e.about(planArg, `keyrot doctor ${planArg}`);
    return { check, status: 'fail', detail: e.message, hint: e.hint };
  }
  return { check, status: 'fail', detail: redact(reasonOf(e)) };
};

/** A provider's findings as shown: a failure's message and hint from the error a run would meet, naming the plan file. */
const shown = (checks: Check[], planArg: string): Check[] =>
  checks.map(({ error, ...c }) => (error ? { ...failed(c.check, error, planArg), status: c.status } : c));

/** The issuer's own checks, or that list() answers; then whether a rotation would find room. */
async function issuerChecks(issuer: KeyIssuer, loaded: LoadedPlan, state: StateStore, planArg: string): Promise<Check[]> {
  const checks = issuer.doctor ? shown(await issuer.doctor().catch((e: unknown) => [failed('checks', e, planArg)]), planArg) : [];
  // Without credentials nothing else can be asked: one finding, not the same one twice.
  if (checks.some((c) => c.check === 'credentials' && c.status === 'fail')) return checks;
  let keys;
  try {
    keys = await callProvider(issuer, 'list', () => issuer.list());
  } catch (e) {
    return [...checks, failed('list keys', e, planArg)];
  }
  if (!issuer.doctor) checks.push({ check: 'endpoint', status: 'pass', detail: `answers: ${count(keys.length, 'key')}` });
  if (issuer.deactivates === false) {
    checks.push({
      check: 'deactivate', status: 'warn', detail: `${issuer.label} cannot deactivate keys: a rotation skips it, and the old key stays valid until it is deleted after the soak (${formatDuration(loaded.plan.soak)}); a revoke deletes a leaked key at once`,
      hint: `keep \`soak\` as short as a rollback needs, then check again: \`keyrot doctor ${planArg}\``,
    });
  }

  const saved = await state.load(loaded.plan.name).catch(() => undefined);
  const listed = keys.map((k) => `${k.id} (${k.status})`).join(', ') || 'none';
  if (inFlight(saved)) {
    checks.push({ check: 'key count', status: 'pass', detail: `${keys.length} of ${issuer.maxKeys}: ${listed}; a rotation is in flight (${saved!.phase})` });
  } else if (keys.length < issuer.maxKeys) {
    checks.push({ check: 'key count', status: 'pass', detail: `${keys.length} of ${issuer.maxKeys} key slots used (${listed}): room for the next rotation` });
  } else {
    // The rule the create phase applies (engine/keys.ts): an inactive key may make room when the plan allows it.
    const inactive = keys.find((k) => k.status === 'inactive');
    const allowed = (loaded.plan.source as { deleteInactiveKey?: boolean }).deleteInactiveKey === true;
    // The refusal the next rotation would meet, as it would word it.
    const refusal = new KeyrotError('key-limit', { issuer: issuer.label, count: keys.length, keys: listed, cleanup: `${issuer.explain('delete')} for ${inactive?.id ?? 'the key no consumer uses'}` });
    checks.push(inactive && allowed
      ? { check: 'key count', status: 'pass', detail: `${keys.length} of ${issuer.maxKeys} key slots used (${listed}); the next rotation deletes inactive ${inactive.id} first (deleteInactiveKey)` }
      : { ...failed('key count', refusal, planArg), detail: `${refusal.message}: the next rotation will be refused` });
  }
  return checks;
}

async function storeChecks(store: SecretStore, planArg: string): Promise<Check[]> {
  if (store.doctor) return shown(await store.doctor().catch((e: unknown) => [failed('checks', e, planArg)]), planArg);
  try {
    const owner = await callProvider(store, 'ownership', () => store.ownership());
    const detail = owner.state === 'unmanaged' ? `answers; holds a secret keyrot does not manage (${owner.detail})` : `answers (${owner.state === 'absent' ? 'nothing published yet' : 'managed by keyrot'})`;
    return [{ check: 'endpoint', status: owner.state === 'unmanaged' ? 'warn' : 'pass', detail, ...(owner.state === 'unmanaged' ? { hint: 'set `adopt: true` on that target if keyrot should take it over' } : {}) }];
  } catch (e) {
    return [failed('endpoint', e, planArg)];
  }
}

/**
 * The usage source (the plan's `usage` block), asked now about the active key over lastUsed.quietFor,
 * as the last-used gate would ask. No answer fails: a rotation would hold there. An active key with
 * no request at all warns: if consumers use it, the query does not see them and the gates are blind.
 */
async function usageChecks(loaded: LoadedPlan, source: UsageSource, issuer: Promise<KeyIssuer>, planArg: string, clock: Clock): Promise<Check[]> {
  const keys = await issuer.then((i) => callProvider(i, 'list', () => i.list())).catch(() => undefined);
  const active = keys?.filter((k) => k.status === 'active').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  if (!active) return [{ check: 'answers', status: 'skip', detail: keys ? 'no active key to ask about yet' : 'no key to ask about: the issuer did not answer' }];
  const now = clock.now();
  const window = loaded.plan.lastUsed?.quietFor ?? 1_800_000;
  const found = await askSource(source, active.id, new Date(now.getTime() - window), now);
  if (found.verdict === 'unknown') {
    return [{ check: 'answers', status: 'fail', detail: found.evidence, hint: `a rotation would hold before deactivating (usage-unknown): fix the usage block (url, query, auth), then \`keyrot doctor ${planArg}\`` }];
  }
  if (found.verdict === 'used') return [{ check: 'answers', status: 'pass', detail: `${found.evidence}: active key ${active.id} used ${found.detail}` }];
  return [{
    check: 'answers', status: 'warn', detail: `${found.evidence}: no request with active key ${active.id} in the last ${formatDuration(window)}`,
    hint: `if consumers use that key, the query does not see their requests (metric, key label) and the gates would pass blind: try the query in Prometheus, then \`keyrot doctor ${planArg}\``,
  }];
}

async function doctorOne(loaded: LoadedPlan, options: OperationOptions): Promise<PlanDoctor> {
  const planArg = commandArg(loaded.file, options.states.spec);
  const state = await options.states.of(loaded);
  const built = buildEach(loaded, state, () => undefined, options.clock);
  // A provider that cannot be set up (no Vault address, an unreadable CA file) is a failed finding of its own.
  const unbuilt = (role: ProviderReport['role'], provider: string) => (e: unknown): ProviderReport => ({ role, provider, checks: [failed('set up', e, planArg)] });
  const reports: ProviderReport[] = await Promise.all([
    built.issuer.then(
      async (issuer): Promise<ProviderReport> => ({ role: 'issuer', provider: issuer.label, checks: await issuerChecks(issuer, loaded, state, planArg) }),
      unbuilt('issuer', loaded.plan.source.type),
    ),
    ...built.stores.map((pending, i) =>
      pending.then(
        async (store): Promise<ProviderReport> => ({ role: 'target', provider: store.label, checks: await storeChecks(store, planArg) }),
        unbuilt('target', loaded.plan.publish[i]!.type),
      )),
    ...(built.usage
      ? [built.usage.then(
        async (source): Promise<ProviderReport> => ({ role: 'usage', provider: source.label, checks: await usageChecks(loaded, source, built.issuer, planArg, options.clock) }),
        unbuilt('usage', loaded.plan.usage?.type ?? 'usage'),
      )]
      : []),
  ]);
  return { plan: loaded.plan.name, file: loaded.file, ok: reports.every((r) => r.checks.every((c) => c.status !== 'fail')), providers: reports };
}

export interface Doctor {
  /** No check of any plan failed (warnings allowed). */
  ok: boolean;
  plans: PlanDoctor[];
  /** 4 when a provider check failed. */
  exitCode: ExitCode;
}

/** Every plan's preflight, all at once. */
export async function doctor(plans: LoadedPlan[], options: OperationOptions): Promise<Doctor> {
  const reports = await Promise.all(plans.map((loaded) => doctorOne(loaded, options)));
  const ok = reports.every((r) => r.ok);
  return { ok, plans: reports, exitCode: ok ? EXIT.ok : EXIT.provider };
}
