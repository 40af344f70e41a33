import type { RunEvent } from '../../engine/events.js';
import { formatDuration } from '../../shared/duration.js';
import { printableDeep } from '../../shared/printable.js';
import { count } from '../../shared/plural.js';
import { typedCommand } from '../invocation.js';
import type { Outcome, PlanResult } from '../../engine/outcome.js';

export const outcomeText = (o: Outcome): string =>
  o.status === 'waiting' ? `waiting until ${o.until.toISOString()}` : o.status === 'held' ? `held (${o.code})` : o.status === 'failed' ? `failed (${o.code})` : o.status;

/**
 * The words for an event, shared by the human and plain reporters. Every field is made printable
 * first: an event may carry a server's text, a scanner's file name or a plan's value.
 */
export function describeEvent(event: RunEvent): { text: string; lines: string[] } {
  const e = printableDeep(event);
  switch (e.type) {
    case 'start':
      return { text: `${e.resumed ? 'resuming' : 'starting'} rotation ${e.rotationId} at ${e.phase}`, lines: [] };
    case 'not-due':
      return { text: `not due: ${e.reason}`, lines: [] };
    case 'phase':
      return { text: e.summary, lines: [] };
    case 'step':
      return { text: e.detail, lines: [] };
    case 'note':
    case 'warning':
      return { text: e.message, lines: [] };
    case 'waiting':
      return { text: `${e.reason} until ${e.until}`, lines: [] };
    case 'held':
      return { text: e.message, lines: [...e.evidence, `hint: ${e.hint}`] };
    case 'failed':
      return { text: e.message, lines: [`hint: ${e.hint}`] };
    case 'interrupted':
      return { text: `interrupted; state saved: \`${typedCommand()}\` continues where it stopped`, lines: [] };
    case 'done': {
      const took = formatDuration(new Date(e.completedAt).getTime() - new Date(e.startedAt).getTime());
      return {
        text: e.oldKeyId
          ? `rotated ${e.oldKeyId} -> ${e.newKeyId} (${e.fingerprint}) in ${took}; ${e.oldKeyId} deleted`
          : `first key ${e.newKeyId} (${e.fingerprint}) issued and published in ${took}`,
        lines: [],
      };
    }
  }
}

/**
 * The last thing worth saying about each plan, kept by reporters for the summary table: its last outcome
 * event (done, held, failed, not due, waiting), else its last note. A command that has several results for
 * one plan (a revoke of two of its keys) says when each is known (Reporter.result): what was said up to
 * then is that result's row, and the next one starts afresh, so a row never shows another key's event.
 */
export class LastWords {
  private settled = new Map<string, string>();
  private noted = new Map<string, string>();
  private taken: Array<{ plan: string; words: string }> = [];

  hear(e: RunEvent): void {
    if (e.type === 'done' || e.type === 'held' || e.type === 'failed' || e.type === 'not-due' || e.type === 'waiting') {
      this.settled.set(e.plan, describeEvent(e).text);
    } else if (e.type === 'note') {
      this.noted.set(e.plan, describeEvent(e).text);
    }
  }

  /** A result is known: its row's words are what was said about its plan since the last one. */
  take(result: PlanResult): void {
    this.taken.push({ plan: result.plan, words: this.of(result.plan) });
    this.settled.delete(result.plan);
    this.noted.delete(result.plan);
  }

  of(plan: string): string {
    return this.settled.get(plan) ?? this.noted.get(plan) ?? '';
  }

  /** Each result's words, in order: the ones taken when it was known, else what was said about its plan. */
  rows(results: PlanResult[]): string[] {
    const taken = [...this.taken];
    return results.map((r) => {
      const i = taken.findIndex((t) => t.plan === r.plan);
      return i >= 0 ? taken.splice(i, 1)[0]!.words : this.of(r.plan);
    });
  }
}

/** One row per plan: name, outcome, and what happened last. */
export function summaryTable(results: PlanResult[], words: LastWords): string[] {
  const said = words.rows(results);
  const rows = results.map((r, i) => [r.plan, outcomeText(r.outcome), said[i]!]);
  const widths = [0, 1].map((i) => Math.max(i === 0 ? 4 : 7, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]!.padEnd(widths[1]!)}  ${cells[2]}`.trimEnd();
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome.status, (counts.get(r.outcome.status) ?? 0) + 1);
  // Only a revoke gives a plan more than one result (one per leaked key): then the keys are what is counted.
  const plans = new Set(results.map((r) => r.plan)).size;
  const counted = plans === results.length ? count(plans, 'plan') : `${count(results.length, 'key')} in ${count(plans, 'plan')}`;
  return [line(['plan', 'outcome', 'last event']), ...rows.map(line), `${counted}: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`];
}
