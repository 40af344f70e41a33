import type { Clock } from '../../src/engine/clock.js';

/** A clock that only moves when told to: sleeping jumps straight to the deadline. */
export class FakeClock implements Clock {
  private at: number;
  sleeps: Date[] = [];

  constructor(start = '2026-01-01T00:00:00Z') {
    this.at = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  advance(ms: number): void {
    this.at += ms;
  }

  async sleepUntil(until: Date, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.sleeps.push(until);
    this.at = Math.max(this.at, until.getTime());
  }
}
