// Usage from Prometheus: an instant query counting the requests made with a key over a window.
// Only a number is an answer. An empty result, NaN, an error or silence is not "zero requests".
import { originOf } from '../../secrets/urls.js';
import type { ProviderContext } from '../types.js';
import { fill, httpGetter } from './client.js';
import type { PrometheusUsageConfig } from './schema.js';
import type { UsageAnswer, UsageSource } from './source.js';

/** A key id inside a PromQL double-quoted string. */
const promString = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** The window in whole seconds, which every Prometheus version reads: 30m -> "1800s". */
export const promWindow = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))}s`;

interface QueryResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

type Sample = [number, string];

const isSample = (v: unknown): v is Sample => Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string';

/** The number a query result holds: one scalar, or the sum of a vector's samples; else why not. */
function readResult(data: QueryResponse['data'], window: string): { value: number; raw: string; at: number; series: number } | string {
  if (data?.resultType === 'scalar' && isSample(data.result)) {
    return { value: Number(data.result[1]), raw: data.result[1], at: data.result[0], series: 1 };
  }
  if (data?.resultType !== 'vector') return `the query returned a ${data?.resultType ?? 'malformed'} result, not a number: write an instant query such as sum(increase(...[{{window}}]))`;
  const samples = Array.isArray(data.result) ? data.result.map((s: { value?: unknown }) => s?.value) : [];
  if (samples.length === 0) return `the query returned no series: nothing matched this key over ${window} (increase() also needs two scrapes of a series inside the window)`;
  if (!samples.every(isSample)) return 'the query returned malformed samples';
  const values = (samples as Sample[]).map((s) => Number(s[1]));
  const raw = (samples as Sample[]).map((s) => s[1]).join(' + ');
  return { value: values.reduce((a, b) => a + b, 0), raw, at: Math.max(...(samples as Sample[]).map((s) => s[0])), series: samples.length };
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
      let status: number;
      let body: QueryResponse;
      try {
        const answer = await get(url);
        status = answer.status;
        try {
          body = JSON.parse(answer.text) as QueryResponse;
        } catch {
          return noAnswer(`${label} answered HTTP ${status} with something that is not JSON`);
        }
      } catch (e) {
        return noAnswer(`${label} did not answer: ${(e as Error).message}`);
      }
      if (body.status !== 'success') {
        return noAnswer(`${label} refused the query (HTTP ${status}${body.errorType ? `, ${body.errorType}` : ''}): ${body.error ?? 'no reason given'}`);
      }
      const result = readResult(body.data, window);
      if (typeof result === 'string') return noAnswer(result);
      if (!Number.isFinite(result.value) || result.value < 0) return noAnswer(`the query returned ${result.raw}, not a count of requests`);
      return { answered: true, query, value: result.raw, at: new Date(result.at * 1000), requests: result.value };
    },
    explain: () => `${label}: ${config.query}`,
  };
}
