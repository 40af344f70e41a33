import type { RunEvent } from '../../engine/events.js';
import { formatDuration } from '../../plan/duration.js';

/** The words for an event, shared by the human and plain reporters. */
export function describeEvent(e: RunEvent): { text: string; lines: string[] } {
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
      return { text: e.message, lines: [] };
    case 'waiting':
      return { text: `${e.reason} until ${e.until}`, lines: [] };
    case 'held':
      return { text: e.message, lines: [...e.evidence, `hint: ${e.hint}`] };
    case 'failed':
      return { text: e.message, lines: [`hint: ${e.hint}`] };
    case 'interrupted':
      return { text: 'interrupted; state saved, run again to continue', lines: [] };
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
