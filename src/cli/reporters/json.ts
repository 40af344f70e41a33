import type { Reporter, RunEvent } from '../../engine/events.js';
import type { PlanResult } from '../../engine/outcome.js';
import { printableJson } from '../../shared/printable.js';

export class JsonReporter implements Reporter {
  event(e: RunEvent): void {
    process.stdout.write(`${printableJson({ time: new Date().toISOString(), ...e })}\n`);
  }

  summary(results: PlanResult[]): void {
    process.stdout.write(`${printableJson({ time: new Date().toISOString(), type: 'summary', results })}\n`);
  }

  close(): void {}
}
