// The answers the usage sources accept, field by field. Whatever does not fit is no answer: junk
// must never read as "zero requests" or as a last use long ago. Extra fields are let through (a
// newer Prometheus adds some); the fields keyrot reads must be exactly what the server documents.
import * as z from 'zod';

/**
 * A sample value as Prometheus writes it (util/jsonutil MarshalFloat): Go's strconv.AppendFloat with
 * 'f', or 'e' below 1e-6 and from 1e21 ("1e-07", "1e+21"), or NaN, +Inf, -Inf. Number() would read
 * "", " " and "0x0" as 0, so nothing else gets that far. NaN and the infinities pass here and are
 * refused as counts by the source, which can then say which one it got.
 */
const PROM_FLOAT = /^(?:NaN|[+-]Inf|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;
const promFloat = z.string().regex(PROM_FLOAT, 'the value is not a number as Prometheus writes one');

/** The last second a Date (and an ISO date) can hold: 9999-12-31T23:59:59Z. */
const LAST_SECOND = 253_402_300_799;
/** Unix seconds, as Prometheus writes an evaluation time; a date keyrot can show. */
const unixSeconds = z.number().min(0, 'the timestamp is before 1970').max(LAST_SECOND, 'the timestamp is after the year 9999');

const sample = z.tuple([unixSeconds, promFloat]);

/** GET /api/v1/query answered {"status":"success"}: an instant vector or a scalar; other result types are named. */
export const prometheusSuccess = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [
    z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sample })) }),
    z.object({ resultType: z.literal('scalar'), result: sample }),
    z.object({ resultType: z.enum(['matrix', 'string']) }),
  ]),
});
export type PrometheusSuccess = z.output<typeof prometheusSuccess>;

/** {"status":"error"} with the reason Prometheus gives, when it gives one. */
export const prometheusError = z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() });

/**
 * A last-use endpoint's answer: an ISO 8601 date and time with its zone, or null for never used.
 * Date.parse would take "0" (2000-01-01), a date alone (midnight, hiding a use that day) or a time
 * without a zone (the local time of whichever host runs keyrot).
 */
export const lastUseAnswer = z.object({ lastUsedAt: z.union([z.null(), z.iso.datetime({ offset: true })]) });

/** A field name fit to print; anything else (a hostile label name) is not repeated. */
const fieldName = (key: PropertyKey) =>
  typeof key === 'number' ? `[${key}]` : typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(key) ? `.${key}` : '[…]';

/** What is wrong with an answer, in words of keyrot's and field names only: never a value of the answer. */
export function whatIsWrong(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'malformed answer';
  const where = issue.path.map(fieldName).join('').replace(/^\./, '');
  return `malformed answer: ${where || 'the body'}: ${issue.message}`;
}
