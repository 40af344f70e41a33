import * as z from 'zod';
import { duration } from '../shared/duration-field.js';

const common = {
  interval: duration.prefault('1m').describe('how often to probe during the soak'),
  timeout: duration.prefault('10s').describe('a probe that takes longer has failed'),
};

export const healthCheckSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    url: z.url().describe('GET this URL; any 2xx answer is healthy'),
    ...common,
  }),
  z.strictObject({
    type: z.literal('command'),
    run: z.string().min(1).describe('a shell command line; exit 0 is healthy'),
    ...common,
  }),
]);

export type HealthCheck = z.output<typeof healthCheckSchema>;
