import type { RunEvent } from '../../engine/events.js';
import type { PlanResult, Reporter } from './reporter.js';

export class JsonReporter implements Reporter {
  event(e: RunEvent): void {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  }

  summary(results: PlanResult[]): void {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), type: 'summary', results })}\n`);
  }

  close(): void {}
}
