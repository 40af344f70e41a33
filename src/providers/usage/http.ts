// Usage from the service itself: a URL that answers {"lastUsedAt": "<ISO date>"} or {"lastUsedAt": null}
// (never used). Anything else is no answer.
import { originOf } from '../../secrets/urls.js';
import type { ProviderContext } from '../types.js';
import { fill, httpGetter } from './client.js';
import type { HttpUsageConfig } from './schema.js';
import type { UsageAnswer, UsageSource } from './source.js';

export function createHttpUsage(config: HttpUsageConfig, ctx: ProviderContext): UsageSource {
  const get = httpGetter(config, ctx);
  const label = `usage endpoint ${originOf(config.url)}`;

  return {
    label,
    async usedSince(keyId) {
      const url = new URL(fill(config.url, { keyId: encodeURIComponent(keyId) }));
      // The path names the key, which is not a secret; a query string might carry one, so it is left out.
      const query = `GET ${url.origin}${url.pathname}`;
      const at = new Date();
      const noAnswer = (reason: string): UsageAnswer => ({ answered: false, query, at, reason });
      let answer;
      try {
        answer = await get(url);
      } catch (e) {
        return noAnswer(`${label} did not answer: ${(e as Error).message}`);
      }
      if (answer.status < 200 || answer.status > 299) return noAnswer(`${label} answered HTTP ${answer.status}`);
      let lastUsedAt: unknown;
      try {
        lastUsedAt = (JSON.parse(answer.text) as { lastUsedAt?: unknown })?.lastUsedAt;
      } catch {
        return noAnswer(`${label} answered something that is not JSON`);
      }
      if (lastUsedAt === null) return { answered: true, query, value: 'null', at, lastUsedAt: null };
      if (typeof lastUsedAt !== 'string' || Number.isNaN(Date.parse(lastUsedAt))) {
        return noAnswer(`${label} answered without a lastUsedAt date (expected {"lastUsedAt": "<ISO date>"} or null)`);
      }
      return { answered: true, query, value: lastUsedAt, at, lastUsedAt: new Date(lastUsedAt) };
    },
    explain: () => `${label}: GET ${config.url} for the last use`,
  };
}
