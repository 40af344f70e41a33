// publish: every target receives the new credential, one after another; state marks each one done,
// so a run cut short finishes the others. A target holding a secret keyrot does not manage is refused.
import type { RotationContext } from '../context.js';
import { hold, open, type GateResult } from '../gate.js';
import { newCredential } from '../keys.js';
import type { PhaseStory, Redirect } from './phase.js';

/** Every target not yet published to is managed by keyrot, absent, or marked adopt: true. */
export async function targetsTakeIt(ctx: RotationContext): Promise<GateResult> {
  const evidence: string[] = [];
  for (const [i, store] of ctx.stores.entries()) {
    if (ctx.state.published.includes(ctx.targetIds[i]!)) continue;
    const owner = await ctx.call(store, 'ownership', () => store.ownership());
    const adopt = (ctx.plan.publish[i] as { adopt?: boolean }).adopt === true;
    if (owner.state === 'unmanaged' && !adopt) return hold('store-unmanaged', { store: store.label, detail: owner.detail });
    evidence.push(`${store.label}: ${owner.state === 'unmanaged' ? 'adopting an unmanaged secret' : owner.state}`);
  }
  return open(...evidence);
}

async function publishToEach(ctx: RotationContext): Promise<void | Redirect> {
  const credential = await newCredential(ctx);
  if (!credential) return { restartAt: 'create' }; // no copy survived: the create-orphan path
  const context = { plan: ctx.plan.name, rotationId: ctx.state.rotationId, rotatedAt: ctx.clock.now() };
  // Readable targets first: a run that dies midway reads the new secret back from one of them on
  // resume; a write-only target could not give it back.
  const order = [...ctx.stores.entries()].sort(([, a], [, b]) => Number(Boolean(a.writeOnly)) - Number(Boolean(b.writeOnly)));
  for (const [i, store] of order) {
    const target = ctx.targetIds[i]!;
    if (ctx.state.published.includes(target)) continue;
    await ctx.call(store, 'publish', () => store.publish(credential, context));
    ctx.state.published.push(target);
    await ctx.record('publish', `published ${credential.keyId} to ${store.label}`);
  }
}

export const publish: PhaseStory = {
  calls: (ctx) => ctx.stores.flatMap((s) => [s.explain('ownership'), s.explain('publish')]),
  guards: () => 'every target is managed by keyrot, absent, or marked adopt: true',
  gate: targetsTakeIt,
  act: publishToEach,
  resume: publishToEach,
};
