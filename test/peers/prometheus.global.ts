// vitest globalSetup: install Prometheus once (apt) before any test file starts its own server, so
// parallel files do not each wait on (or time out during) the first-time install.
import { installPrometheus } from './prometheus.js';

export default async function setup(): Promise<void> {
  await installPrometheus();
}
