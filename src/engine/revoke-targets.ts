// Which keys a revoke is about, each with the plan that owns it: the one --key names, every finding
// of a scanner's report (or the secret piped on stdin), or the one plan's current key. Every finding
// is accounted for: revoked, held by no plan that answered, or undecided because a plan that could
// hold it could not be asked (named, and the command then exits 4). Plans that cannot be asked never
// block an incident.
import { KeyrotError } from '../errors.js';
import { readFileOrPipe } from '../bounded-read.js';
import type { LoadedPlan } from '../plan/load.js';
import { leakFromSecret, MAX_REPORT_BYTES, parseLeakReport, type LeakFinding, type LeakReport } from './leak-report.js';
import type { SessionOptions } from './options.js';
import { currentKeyOf, deletedRevokeOf, finishedRevokeOf } from './revoke.js';
import { findOwners, type NotAsked, type OwnerSearch, type Verdict } from './revoke-owner.js';
import { count } from '../shared/plural.js';

/** What the leaked key is known by: its id, a scanner's report file, or the secret itself (stdin). */
export type LeakSource = { key: string } | { reportFile: string } | { secret: string } | { current: true };

export interface RevokeTarget {
  plan: LoadedPlan;
  keyId: string;
  /** Every place the leak was seen (from a report): shown, and written to the audit log. */
  locations: string[];
}

export interface RevokeSelection {
  targets: RevokeTarget[];
  /** Findings that could not be decided (a plan that could hold them could not be asked): exit 4. */
  undecided?: KeyrotError;
}

const planNamed = (p: LoadedPlan) => `${p.plan.name} (${p.file})`;
const listed = (names: string[]) => (names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', '));

/** What a finding is known by, never a secret: its AWS key id, or its secret's fingerprint. */
const named = (f: LeakFinding) => (f.keyIds.length > 0 ? f.keyIds.join(', ') : `a secret (${f.fingerprints[0] ?? 'no value'})`);

/** Each plan that could not be asked, once, by name and file, with the reason. */
function warnNotAsked(options: SessionOptions, notAsked: NotAsked[]) {
  for (const n of notAsked) options.reporter.event({ type: 'warning', plan: n.plan.plan.name, message: `could not ask plan ${planNamed(n.plan)}: ${n.reason}` });
}

/** `rerun`: this revoke as typed, which the hint says to run again once those plans can be asked. */
function undecidedError(what: string, verdicts: Verdict[], rerun: string): KeyrotError {
  const plans = [...new Set(verdicts.flatMap((v) => ('undecided' in v ? v.undecided : [])))];
  return new KeyrotError('revoke-not-asked', { what, count: plans.length, unasked: listed(plans.map((p) => p.file)), rerun });
}

/** The owner of one key id, or an error naming why it was not found. */
async function ownerOf(plans: LoadedPlan[], keyId: string, options: SessionOptions): Promise<RevokeTarget> {
  const search = await untilInterrupted(findOwners(plans, [{ keyIds: [keyId], fingerprints: [] }], searchDeps(options)), options.signal);
  warnNotAsked(options, search.notAsked);
  const verdict = search.verdicts[0]!;
  if ('owner' in verdict) {
    const { plan } = verdict.owner;
    if (verdict.fromRecords && search.unasked.length > 0) {
      options.reporter.event({ type: 'note', plan: plan.plan.name, message: `found ${keyId} in keyrot's records of plan ${plan.plan.name}; not asked: ${listed(search.unasked.map((p) => p.plan.name))}` });
    }
    return { plan, keyId: verdict.owner.keyId, locations: [] };
  }
  const deleted = await deletedRevokeOf(plans, keyId, options);
  if (deleted) return { plan: deleted, keyId, locations: [] };
  const finished = await finishedRevokeOf(plans, keyId, options);
  if (finished) throw finished;
  if ('undecided' in verdict) throw undecidedError(`key ${keyId}`, search.verdicts, options.command);
  throw new KeyrotError('revoke-no-owner', { keyId, asked: listed(plans.map((p) => p.plan.name)) });
}

/** Every finding of a leak report: its owner, or why it has none; each said once, with every place it was seen. */
function account(report: LeakReport, search: OwnerSearch, options: SessionOptions): RevokeSelection {
  const targets: RevokeTarget[] = [];
  const say = (type: 'note' | 'warning', plan: string, message: string) => options.reporter.event({ type, plan, message });
  for (const [i, verdict] of search.verdicts.entries()) {
    const finding = report.findings[i]!;
    const where = finding.locations.join('; ');
    if ('owner' in verdict) {
      const { plan, keyId } = verdict.owner;
      const same = targets.find((t) => t.plan === plan && t.keyId === keyId);
      if (same) same.locations.push(...finding.locations);
      else targets.push({ plan, keyId, locations: [...finding.locations] });
      say('note', plan.plan.name, `found: ${keyId} of plan ${plan.plan.name}, leaked at ${where}`);
    } else if ('notHeld' in verdict) {
      say('warning', 'leak-report', `not held by any plan that answered: ${named(finding)}, seen at ${where}`);
    } else {
      say('warning', 'leak-report', `could not be decided: ${named(finding)}, seen at ${where}; these plans could hold it but could not be asked: ${listed(verdict.undecided.map((p) => p.plan.name))}`);
    }
  }
  const undecided = search.verdicts.filter((v) => 'undecided' in v).length;
  const error = undecided > 0 ? undecidedError(`${undecided} of the ${count(report.findings.length, 'finding')}`, search.verdicts, options.command) : undefined;
  if (targets.length === 0) throw error ?? new KeyrotError('revoke-nothing-attributed', { count: report.findings.length });
  return { targets, ...(error ? { undecided: error } : {}) };
}

const searchDeps = (options: SessionOptions) => ({ states: options.states, emit: options.reporter.event.bind(options.reporter), clock: options.clock });

/** The search writes nothing: Ctrl-C or SIGTERM ends it at once, whatever provider it waits on. */
function untilInterrupted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new KeyrotError('interrupted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, interrupted]).finally(() => signal.removeEventListener('abort', onAbort!));
}

async function ownersOfReport(plans: LoadedPlan[], report: LeakReport, options: SessionOptions): Promise<RevokeSelection> {
  const search = await untilInterrupted(findOwners(plans, report.findings, searchDeps(options)), options.signal);
  warnNotAsked(options, search.notAsked);
  return account(report, search, options);
}

/** The report, bounded and read without blocking (a named pipe, `<(gitleaks …)`): Ctrl-C ends the wait. */
async function readReport(file: string, signal: AbortSignal): Promise<LeakReport> {
  const bad = (reason: string) => new KeyrotError('leak-report-invalid', { file, reason });
  const text = await readFileOrPipe(file, MAX_REPORT_BYTES, signal).catch((e: NodeJS.ErrnoException) => {
    if (signal.aborted) throw new KeyrotError('interrupted');
    throw bad(`cannot read it (${e.code ?? 'error'})`);
  });
  if (text === 'not-a-file') throw bad('not a file or a pipe (a folder, or a device such as a terminal)');
  if (text === 'too-large') throw bad(`larger than ${MAX_REPORT_BYTES / 1024 / 1024} MB, the most a report may be`);
  return parseLeakReport(text, file);
}

/** The keys to revoke, each with its plan. */
export async function revokeTargets(plans: LoadedPlan[], source: LeakSource, options: SessionOptions): Promise<RevokeSelection> {
  if ('reportFile' in source) return ownersOfReport(plans, await readReport(source.reportFile, options.signal), options);
  if ('secret' in source) return ownersOfReport(plans, leakFromSecret(source.secret), options);
  if ('key' in source) return { targets: [await ownerOf(plans, source.key, options)] };
  return { targets: [{ plan: plans[0]!, keyId: await currentKeyOf(plans[0]!, options), locations: [] }] };
}
