// Read what a rotation left behind, the way a consumer or an auditor would.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord } from '../../src/audit/log.js';
import type { RotationState } from '../../src/engine/rotation.js';

export interface StoredKey {
  keyId: string;
  secret: string;
}

export interface StoreFile {
  managedBy?: string;
  current?: StoredKey;
  previous?: StoredKey;
  retired?: StoredKey;
}

export const readStore = (file: string): StoreFile => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {});

export const readLedger = (stateDir: string, plan: string): { id: string; status: string }[] => {
  const file = path.join(stateDir, 'generated', `${plan}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).keys : [];
};

export const readState = (stateDir: string, plan: string): RotationState | undefined => {
  const file = path.join(stateDir, 'state', `${plan}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
};

export const readAudit = (stateDir: string): AuditRecord[] => {
  const file = path.join(stateDir, 'audit.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
};

/** Every secret the store file holds now: what a secret scan looks for. */
export const secretsIn = (store: StoreFile): string[] =>
  [store.current, store.previous, store.retired].filter((k): k is StoredKey => Boolean(k)).map((k) => k.secret);

/** Which of `secrets` appear in `text`, by index: never the secret itself, so a failure prints nothing secret. */
export const leakedIndexes = (text: string, secrets: string[]): number[] =>
  secrets.flatMap((s, i) => (text.includes(s) ? [i] : []));

/** Move a rotation's stored soak deadline into the past, as if the soak had been sat out (never sleeping through it). */
export function expireSoak(stateDir: string, plan: string): void {
  const file = path.join(stateDir, 'state', `${plan}.json`);
  const state = JSON.parse(readFileSync(file, 'utf8')) as { deadlines: Record<string, string> };
  state.deadlines.soak = new Date(Date.now() - 1000).toISOString();
  writeFileSync(file, JSON.stringify(state));
}

export interface DoctorCheck {
  check: string;
  status: string;
  detail: string;
  hint?: string;
}

/** The checks `keyrot doctor --output json` reports for the first plan's provider whose label starts with `provider`. */
export function doctorChecks(stdout: string, provider: string): DoctorCheck[] {
  const doc = JSON.parse(stdout) as { plans: Array<{ providers: Array<{ provider: string; checks: DoctorCheck[] }> }> };
  return doc.plans[0]!.providers.find((p) => p.provider.startsWith(provider))!.checks;
}
