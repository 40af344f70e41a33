// The one entry point the engine calls. A notification that fails never fails the rotation:
// it is reported as a warning and written to the audit log, and the promise still resolves.
import type { PhaseName } from '../state/rotation-state.js';
import type { AuditTrail } from '../state/store.js';
import { reasonOf } from '../errors.js';
import { redact, rememberVariables, variablesNamedIn } from '../secrets/redact.js';
import { originOnly } from '../secrets/urls.js';
import { commandLabel, runCommand } from './command.js';
import { payloadOf, type Notice } from './notice.js';
import type { NotifyEntry } from './schema.js';
import { sendWebhook, webhookLabel } from './webhook.js';

export interface NotifierDeps {
  /** Commands run here: the plan's folder. */
  planDir: string;
  /** Passed to commands, and where signingKeyEnv is looked up. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** A hook that failed, said to the user: the rotation carries on. */
  warn(warning: { plan: string; phase?: PhaseName; message: string }): void;
  audit: Pick<AuditTrail, 'append'>;
  /** Stamps `time`; pass the engine clock. Default: the system clock. */
  now?: () => Date;
  /** Aborts waits, requests and commands (Ctrl-C). */
  signal?: AbortSignal;
  /** First retry delay of a webhook, doubling after each; default 1s. */
  retryDelayMs?: number;
}

export type Notify = (notice: Notice) => Promise<void>;

const labelOf = (entry: NotifyEntry): string => (entry.type === 'webhook' ? webhookLabel(entry) : commandLabel(entry));

export function createNotifier(entries: NotifyEntry[] | undefined, deps: NotifierDeps): Notify {
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  // A hook's output or error may echo a credential keyrot holds: mask each one wherever it shows up.
  rememberVariables(env);
  rememberVariables(env, variablesNamedIn(entries ?? []));

  const deliver = async (entry: NotifyEntry, notice: Notice): Promise<void> => {
    const payload = payloadOf(notice, now());
    return entry.type === 'webhook'
      ? sendWebhook(entry, payload, { env, signal: deps.signal, retryDelayMs: deps.retryDelayMs ?? 1_000 })
      : runCommand(entry, payload, { cwd: deps.planDir, env, signal: deps.signal });
  };

  const report = async (entry: NotifyEntry, notice: Notice, error: unknown) => {
    const detail = redact(`${labelOf(entry)} (${notice.outcome}) failed: ${originOnly(reasonOf(error))}`);
    deps.warn({
      plan: notice.plan,
      phase: notice.phase === 'done' ? undefined : notice.phase,
      message: `notification ${detail}; the rotation carries on`,
    });
    try {
      await deps.audit.append({
        time: now().toISOString(), plan: notice.plan, rotationId: notice.rotationId, phase: notice.phase, action: 'notify',
        oldKeyId: notice.oldKeyId, newKeyId: notice.newKeyId, outcome: 'failed', detail,
      });
    } catch (e) {
      deps.warn({ plan: notice.plan, message: `could not write the audit log: ${redact(reasonOf(e))}` });
    }
  };

  return async (notice) => {
    const chosen = (entries ?? []).filter((entry) => !entry.on || entry.on.includes(notice.outcome));
    // In parallel: one slow receiver does not delay the others.
    // A reporter that throws while reporting is dropped too: nothing here may fail the rotation.
    await Promise.all(chosen.map((entry) => deliver(entry, notice).catch((e: unknown) => report(entry, notice, e)).catch(() => undefined)));
  };
}
