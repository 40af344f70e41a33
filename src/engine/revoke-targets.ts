// Which keys a revoke is about, each with the plan that owns it: the one --key names, every finding
// of a scanner's report (or the secret piped on stdin), or the one plan's current key. Plans whose
// issuer could not be asked are skipped and named: they never block an incident.
import { readFile } from 'node:fs/promises';
import { KeyrotError } from '../errors.js';
import type { LoadedPlan } from '../plan/load.js';
import { leakFromSecret, parseLeakReport, type LeakReport } from './leak-report.js';
import type { SessionOptions } from './options.js';
import { currentKeyOf, finishedRevokeOf } from './revoke.js';
import { findOwner, type KeyMatch, type NotAsked, type SearchDeps } from './revoke-owner.js';

/** What the leaked key is known by: its id, a scanner's report file, or the secret itself (stdin). */
export type LeakSource = { key: string } | { reportFile: string } | { secret: string } | { current: true };

export interface RevokeTarget {
  plan: LoadedPlan;
  keyId: string;
  /** Where the leak was seen (from a report), for the listing. */
  where?: string;
}

const searchDeps = (options: SessionOptions): SearchDeps => ({ states: options.states, emit: (e) => options.reporter.event(e), clock: options.clock });

/** Plans whose issuer could not be asked are skipped, and each is named with the reason. */
function warnNotAsked(options: SessionOptions, notAsked: NotAsked[]) {
  for (const n of notAsked) {
    options.reporter.event({ type: 'warning', plan: n.plan.plan.name, message: `could not ask (skipped, ${notAsked.length} plan(s) in all): ${n.reason}` });
  }
}

/** The owner of one key id, or an error naming why it was not found. */
async function ownerOf(plans: LoadedPlan[], keyId: string, options: SessionOptions): Promise<RevokeTarget> {
  const search = await findOwner(plans, { keyId }, searchDeps(options));
  warnNotAsked(options, search.notAsked);
  if (search.found) {
    const { plan } = search.found;
    if (search.unneeded) {
      const names = search.unneeded.map((p) => p.plan.name);
      const listed = names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ') || 'none';
      options.reporter.event({ type: 'note', plan: plan.plan.name, message: `found ${keyId} in keyrot's records of plan ${plan.plan.name}; not asked: ${listed}` });
    }
    return { plan, keyId: search.found.keyId };
  }
  const finished = await finishedRevokeOf(plans, keyId, options);
  if (finished) throw finished;
  if (search.notAsked.length > 0) {
    throw new KeyrotError('revoke-not-asked', { keyId, count: search.notAsked.length, unasked: search.notAsked.map((n) => n.plan.file).join(', ') });
  }
  throw new KeyrotError('revoke-no-owner', { keyId, asked: plans.map((p) => p.plan.name).join(', ') });
}

/** Every finding of a leak report attributed to a plan, or listed as not attributed. */
async function ownersOfReport(plans: LoadedPlan[], report: LeakReport, options: SessionOptions): Promise<RevokeTarget[]> {
  const targets: RevokeTarget[] = [];
  const unattributed: string[] = [];
  const notAsked = new Map<LoadedPlan, NotAsked>();
  for (const finding of report.findings) {
    const matches: KeyMatch[] = [...finding.keyIds.map((keyId) => ({ keyId })), ...finding.fingerprints.map((fp) => ({ fingerprint: fp }))];
    let owner: RevokeTarget | undefined;
    for (const match of matches) {
      const search = await findOwner(plans, match, searchDeps(options));
      search.notAsked.forEach((n) => notAsked.set(n.plan, n));
      if (search.found) {
        owner = { plan: search.found.plan, keyId: search.found.keyId, where: finding.where };
        break;
      }
    }
    if (!owner) unattributed.push(finding.where);
    else if (!targets.some((t) => t.plan === owner!.plan && t.keyId === owner!.keyId)) targets.push(owner);
  }
  warnNotAsked(options, [...notAsked.values()]);
  for (const t of targets) options.reporter.event({ type: 'note', plan: t.plan.plan.name, message: `found: ${t.keyId} of plan ${t.plan.plan.name}, leaked at ${t.where}` });
  for (const where of unattributed) options.reporter.event({ type: 'warning', plan: 'leak-report', message: `not attributed to any plan: ${where}` });
  if (targets.length === 0) {
    if (notAsked.size > 0) throw new KeyrotError('revoke-not-asked', { keyId: 'any finding', count: notAsked.size, unasked: [...notAsked.keys()].map((p) => p.file).join(', ') });
    throw new KeyrotError('revoke-nothing-attributed', { count: report.findings.length });
  }
  return targets;
}

async function readReport(file: string): Promise<LeakReport> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new KeyrotError('leak-report-invalid', { file, reason: `cannot read it (${e.code ?? e.message})` });
  });
  return parseLeakReport(text, file);
}

/** The keys to revoke, each with its plan. */
export async function revokeTargets(plans: LoadedPlan[], source: LeakSource, options: SessionOptions): Promise<RevokeTarget[]> {
  if ('reportFile' in source) return ownersOfReport(plans, await readReport(source.reportFile), options);
  if ('secret' in source) return ownersOfReport(plans, leakFromSecret(source.secret), options);
  if ('key' in source) return [await ownerOf(plans, source.key, options)];
  return [{ plan: plans[0]!, keyId: await currentKeyOf(plans[0]!, options) }];
}
