import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.js';

/** A duration field in a plan: written as text, validated, carried as milliseconds. */
export const duration = z
  .string()
  .regex(DURATION_PATTERN, 'expected a duration such as 90s, 15m, 24h or 7d')
  .transform((text) => parseDuration(text)!)
  .meta({ description: 'a duration: digits and a unit (ms, s, m, h, d, w), e.g. 90s, 15m, 1h30m, 7d' });
