// keyrot plan: the phases ahead, the provider calls each makes, and what each gate would say now.
// Only read calls reach a provider: a save, audit, notice or side effect here is a bug, so they throw.
import { targetIdsOf, type RotationContext } from '../context.js';
import { PHASES } from '../phases/table.js';
import { buildProviders, callProvider } from '../providers.js';
import { inFlight, newRotation, type PhaseName } from '../rotation.js';
import { commandArg, EXIT, type ExitCode, type MessageCode } from '../../messages.js';
import type { LoadedPlan } from '../../plan/load.js';
import type { OperationOptions } from '../options.js';
import { worstExitCode } from '../outcome.js';
import { KeyrotError } from '../../errors.js';

export interface GatePreview {
  verdict: 'pass' | 'wait' | 'hold';
  until?: string;
  code?: MessageCode;
  evidence: string[];
}

export interface PhasePreview {
  phase: PhaseName;
  summary: string;
  permanent: boolean;
  calls: string[];
  checks: string | null;
  /** The gate evaluated now, where it reads only what providers hold now. */
  now: GatePreview | null;
}

export interface PlanPreview {
  plan: string;
  file: string;
  issuer: string;
  targets: string[];
  inFlight: { rotationId: string; phase: string; stage: string } | null;
  /** The command that would start or continue the rotation. */
  next: string;
  /** What a rotation started now would do when the issuer holds no key yet; null when it holds one. */
  firstKey: string | null;
  phases: PhasePreview[];
  /** Why this plan could not be previewed (the others still are). */
  error?: { code: MessageCode; message: string; hint: string };
}

const noSideEffects = async (): Promise<never> => {
  throw new Error('keyrot plan attempted a side effect');
};

/** A first rotation issues the key and stops after verify, unless the plan rehearses a rotation of it at once. */
async function firstKeyNote(ctx: RotationContext, rehearse: boolean): Promise<string | null> {
  const keys = await callProvider(ctx.issuer, 'list', () => ctx.issuer.list());
  if (keys.some((k) => k.status === 'active')) return null;
  return rehearse
    ? 'no key yet: the first key is issued, published and verified, then (rehearse: true) rotated at once through every phase'
    : 'no key yet: the first rotation issues the key, publishes and verifies it, and stops there';
}

async function previewOne(loaded: LoadedPlan, options: OperationOptions): Promise<PlanPreview> {
  const { clock } = options;
  const store = await options.states.of(loaded);
  const saved = await store.load(loaded.plan.name);
  const flying = inFlight(saved);
  const state = flying ? saved! : newRotation(loaded.plan.name, clock.now(), '(new)');
  const providers = await buildProviders(loaded, store, () => undefined, clock);
  const planArg = commandArg(loaded.file, options.states.spec);
  const ctx: RotationContext = {
    plan: loaded.plan, planDir: loaded.dir, planArg, ...providers, targetIds: targetIdsOf(loaded.plan), clock, emit: () => undefined, state,
    secrets: new Map(), save: noSideEffects, record: noSideEffects, audit: noSideEffects, notify: noSideEffects, lockLost: () => undefined, call: callProvider,
  };

  // The phases ahead, as the table chains them (assuming a key to retire, so the whole path shows).
  const ahead: PhaseName[] = [];
  const walk = { ...ctx, state: { ...state, oldKeyId: state.oldKeyId ?? '(current key)' } };
  for (let name: PhaseName | 'done' = state.phase === 'done' ? 'create' : state.phase; name !== 'done'; name = PHASES[name].next(walk)) ahead.push(name);

  const phases: PhasePreview[] = [];
  for (const [i, name] of ahead.entries()) {
    const phase = PHASES[name];
    let now: GatePreview | null = null;
    // A gate that reads only what providers hold now; else a question the phase can ask now (the usage query).
    const gate = phase.gate && phase.previewGate && (i === 0 || !flying) ? await phase.gate(ctx) : await phase.askNow?.(ctx);
    if (gate) {
      now = gate.kind === 'open'
        ? { verdict: 'pass', evidence: gate.evidence }
        : gate.kind === 'wait'
          ? { verdict: 'wait', until: gate.until.toISOString(), evidence: gate.evidence }
          : { verdict: 'hold', code: gate.code, evidence: gate.evidence };
    }
    phases.push({ phase: name, summary: phase.summary, permanent: Boolean(phase.permanent), calls: phase.calls(ctx), checks: phase.guards?.(ctx) ?? null, now });
  }
  return {
    plan: loaded.plan.name,
    file: loaded.file,
    issuer: providers.issuer.label,
    targets: providers.stores.map((s) => (s.writeOnly ? `${s.label} (write-only: ${s.writeOnly.reason})` : s.label)),
    inFlight: flying ? { rotationId: state.rotationId, phase: state.phase, stage: state.stage } : null,
    next: `keyrot run ${planArg}`,
    firstKey: flying ? null : await firstKeyNote(ctx, loaded.plan.rehearse),
    phases,
  };
}

/** A plan that could not be previewed: named, with the error and a hint to run this preview again. */
function failedPreview(loaded: LoadedPlan, e: KeyrotError, planArg: string): PlanPreview {
  e.about(planArg, `keyrot plan ${planArg}`);
  return {
    plan: loaded.plan.name, file: loaded.file, issuer: loaded.plan.source.type, targets: loaded.plan.publish.map((t) => t.type),
    inFlight: null, next: `keyrot run ${planArg}`, firstKey: null, phases: [], error: { code: e.code, message: e.message, hint: e.hint },
  };
}

/** Each plan's dry run, one after another; exit 3 when a gate would hold now, as the run would be refused. */
export async function preview(plans: LoadedPlan[], options: OperationOptions): Promise<{ previews: PlanPreview[]; exitCode: ExitCode }> {
  const previews: PlanPreview[] = [];
  const codes: ExitCode[] = [];
  // Plan by plan: one that cannot be previewed (no credentials, no Vault address) is named and the
  // others are still shown; the exit code is the worst among them.
  for (const loaded of plans) {
    try {
      const preview = await previewOne(loaded, options);
      previews.push(preview);
      codes.push(preview.phases.some((ph) => ph.now?.verdict === 'hold') ? EXIT.refused : EXIT.ok);
    } catch (e) {
      if (!(e instanceof KeyrotError)) throw e;
      previews.push(failedPreview(loaded, e, commandArg(loaded.file, options.states.spec)));
      codes.push(e.exitCode);
    }
  }
  return { previews, exitCode: worstExitCode(codes) };
}
