import type { Reporter, RunEvent } from '../../engine/events.js';
import type { PlanResult } from '../../engine/outcome.js';

export class JsonReporter implements Reporter {
  event(e: RunEvent): void {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  }

  summary(results: PlanResult[]): void {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), type: 'summary', results })}\n`);
  }

  close(): void {}
}
