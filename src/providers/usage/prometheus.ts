// Usage from Prometheus: an instant query counting the requests made with a key over a window.
// Only a finite, non-negative number in an answer that fits the API's shape is an answer. An empty
// result, NaN, junk, an error, a failed HTTP status or silence is not "zero requests".
import { printable } from '../../shared/printable.js';
import { originOf } from '../../secrets/urls.js';
import type { ProviderContext } from '../types.js';
import { prometheusError, prometheusSuccess, whatIsWrong, type PrometheusSuccess } from './answers.js';
import { fill, httpGetter, type Answer } from './client.js';
import type { PrometheusUsageConfig } from './schema.js';
import type { UsageAnswer, UsageSource } from './source.js';

/** A key id inside a PromQL double-quoted string. */
const promString = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** The window in whole seconds, which every Prometheus version reads: 30m -> "1800s". */
export const promWindow = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))}s`;

/** How much of Prometheus' own error text a reason repeats. */
const ERROR_TEXT = 300;

type Sample = [number, string];

/** The count a valid answer holds: one scalar, or the sum of a vector's samples, each a count; else why not. */
function readResult(data: PrometheusSuccess['data'], window: string): { value: number; raw: string; at: number } | string {
  if (data.resultType !== 'vector' && data.resultType !== 'scalar') {
    return `the query returned a ${data.resultType} result, not a number: write an instant query such as sum(increase(...[{{window}}]))`;
  }
  const samples: Sample[] = data.resultType === 'scalar' ? [data.result] : data.result.map((s) => s.value);
  if (samples.length === 0) return `the query returned no series: nothing matched this key over ${window} (increase() also needs two scrapes of a series inside the window)`;
  const raw = samples.map((s) => s[1]).join(' + '); // each matched Prometheus' number format: safe to show
  // Each series must be a count: a -5 beside a 5 would sum to "no requests".
  if (samples.some(([, v]) => !Number.isFinite(Number(v)) || Number(v) < 0)) return `the query returned ${raw}, not a count of requests`;
  return { value: samples.reduce((sum, [, v]) => sum + Number(v), 0), raw, at: Math.max(...samples.map((s) => s[0])) };
}

/** The answer's body read against the API's shape, or why it is no answer (HTTP status first: a failed request is no answer). */
function readBody(answer: Answer, label: string): PrometheusSuccess | string {
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `${label} answered HTTP ${answer.status} with something that is not JSON`;
  }
  const refusal = prometheusError.safeParse(body);
  if (refusal.success) {
    const { errorType, error } = refusal.data;
    return `${label} refused the query (HTTP ${answer.status}${errorType ? `, ${printable(errorType, 40)}` : ''}): ${error ? printable(error, ERROR_TEXT) : 'no reason given'}`;
  }
  if (answer.status < 200 || answer.status > 299) return `${label} answered HTTP ${answer.status}, which is no answer whatever its body says`;
  const success = prometheusSuccess.safeParse(body);
  return success.success ? success.data : `${label} gave a ${whatIsWrong(success.error)}`;
}

export function createPrometheusUsage(config: PrometheusUsageConfig, ctx: ProviderContext): UsageSource {
  const get = httpGetter(config, ctx);
  const base = config.url.endsWith('/') ? config.url : `${config.url}/`;
  const label = `prometheus ${originOf(config.url)}`;

  return {
    label,
    async usedSince(keyId, since, now) {
      const window = promWindow(now.getTime() - since.getTime());
      const query = fill(config.query, { keyId: promString(keyId), window });
      const asked = new Date();
      const noAnswer = (reason: string): UsageAnswer => ({ answered: false, query, at: asked, reason });
      const url = new URL('api/v1/query', base);
      url.searchParams.set('query', query);
      let answer: Answer;
      try {
        answer = await get(url);
      } catch (e) {
        return noAnswer(`${label} did not answer: ${printable((e as Error).message, ERROR_TEXT)}`);
      }
      const body = readBody(answer, label);
      if (typeof body === 'string') return noAnswer(body);
      const result = readResult(body.data, window);
      if (typeof result === 'string') return noAnswer(result);
      return { answered: true, query, value: result.raw, at: new Date(result.at * 1000), requests: result.value };
    },
    explain: () => `${label}: ${config.query}`,
  };
}
