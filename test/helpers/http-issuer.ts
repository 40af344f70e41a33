// An http issuer built from a plan file as keyrot builds it: the plan loaded and validated, its
// source given to the issuer, with the environment and the state folder the test chooses.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHttpIssuer } from '../../src/providers/issuers/http/issuer.js';
import type { ResolvedHttp } from '../../src/providers/issuers/http/resolve.js';
import type { KeyIssuer } from '../../src/providers/types.js';
import { fileLedger } from '../../src/state/file-ledger.js';
import { load } from './engine.js';
import type { Workspace } from './workspace.js';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** The README's Keyhub plan (rotation-plans/keyhub.yaml) pointed at `url`, with `edit` applied to its text. */
export function keyhubPlan(ws: Workspace, url: string, edit: (yaml: string) => string = (y) => y): string {
  const text = readFileSync(path.join(REPO, 'rotation-plans/keyhub.yaml'), 'utf8')
    .replace('https://keyhub.internal.example', url)
    .replace('path: .demo/billing-keyhub.json', 'path: billing-keys.json');
  return ws.write('keyhub.yaml', edit(text));
}

export async function issuerFrom(planFile: string, env: NodeJS.ProcessEnv, notes: string[] = []): Promise<KeyIssuer> {
  const { plan, dir } = await load(planFile);
  return createHttpIssuer(plan.source as ResolvedHttp, {
    planName: plan.name, planDir: dir, stateDir: path.join(dir, '.keyrot'), ledger: fileLedger(path.join(dir, '.keyrot', 'generated'), plan.name),
    env, now: () => new Date(), note: (m) => notes.push(m),
  });
}
