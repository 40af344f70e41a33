// A rollback serves the old key again. Most targets kept it (a prior version, a disabled one) and their
// onReactivate brings it back; a single-value target (GitHub Actions secrets, GitLab CI/CD variables) kept
// nothing, so the old key is published there again, read from another target of the plan that still holds
// it (readRetired).
// `keyrot validate` refuses a plan where no target could (unless that target says `rollback: false`).
import type { Credential, SecretStore } from '../providers/types.js';
import { rememberSecret } from '../secrets/redact.js';
import type { RotationContext } from './context.js';

async function retiredSecret(ctx: RotationContext, keyId: string): Promise<{ credential: Credential; from: SecretStore } | undefined> {
  for (const from of ctx.stores.filter((s) => s.readRetired)) {
    const credential = await ctx.call(from, 'readRetired', () => from.readRetired!(keyId));
    if (credential) {
      rememberSecret(credential.secret);
      return { credential, from };
    }
  }
  return undefined;
}

/** Publish the old key again to every single-value target that allows it; true when one now serves it again. */
export async function republishOldKey(ctx: RotationContext, keyId: string): Promise<boolean> {
  const targets = ctx.stores.map((store, i) => ({ store, rollback: (ctx.plan.publish[i] as { rollback?: boolean }).rollback })).filter((t) => t.store.singleValue);
  let found: Awaited<ReturnType<typeof retiredSecret>>;
  let restored = false;
  for (const { store, rollback } of targets) {
    const keeps = `it keeps serving ${ctx.state.newKeyId}`;
    if (rollback === false) {
      await ctx.record('restore-to-store', `${store.label}: the plan says rollback: false; ${keeps}`, 'skipped');
      continue;
    }
    found ??= await retiredSecret(ctx, keyId);
    if (!found) {
      await ctx.record('restore-to-store', `${store.label}: no target of the plan holds ${keyId}'s secret any more; ${keeps}`, 'skipped');
      ctx.emit({ type: 'warning', plan: ctx.plan.name, message: `${store.label} cannot serve ${keyId} again: no target of the plan still holds its secret; ${keeps}` });
      continue;
    }
    const { credential, from } = found;
    await ctx.call(store, 'publish', () => store.publish(credential, { plan: ctx.plan.name, rotationId: ctx.state.rotationId, rotatedAt: ctx.clock.now() }));
    await ctx.record('restore-to-store', `${store.label} serves ${keyId} again (published from ${from.label})`);
    restored = true;
  }
  return restored;
}
