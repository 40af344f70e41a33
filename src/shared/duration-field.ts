import * as z from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.js';

/** Longer than any timer a rotation needs; past it a date computed from now stops being a date. */
const MAX_DURATION_MS = 3650 * 86_400_000;

/** A duration field in a plan: written as text, validated, carried as milliseconds. */
export const duration = z
  .string()
  .regex(DURATION_PATTERN, 'expected a duration such as 90s, 15m, 24h or 7d')
  .refine((text) => (parseDuration(text) ?? 0) <= MAX_DURATION_MS, 'longer than 3650d (ten years), the longest duration keyrot takes')
  .transform((text) => parseDuration(text)!)
  .meta({ description: 'a duration: digits and a unit (ms, s, m, h, d, w), e.g. 90s, 15m, 1h30m, 7d' });
