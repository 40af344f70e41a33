// Usage from the service itself: a URL that answers {"lastUsedAt": "<ISO date-time>"} or
// {"lastUsedAt": null} (never used), with a 2xx status. Anything else is no answer.
import { printable } from '../../shared/printable.js';
import { originAndPath, originOf } from '../../secrets/urls.js';
import type { ProviderContext } from '../types.js';
import { lastUseAnswer } from './answers.js';
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
        return noAnswer(`${label} did not answer: ${printable((e as Error).message, 300)}`);
      }
      if (answer.status < 200 || answer.status > 299) return noAnswer(`${label} answered HTTP ${answer.status}, which is no answer whatever its body says`);
      let body: unknown;
      try {
        body = JSON.parse(answer.text);
      } catch {
        return noAnswer(`${label} answered something that is not JSON`);
      }
      const read = lastUseAnswer.safeParse(body);
      if (!read.success) {
        return noAnswer(`${label} answered without a lastUsedAt date (expected {"lastUsedAt": "<ISO 8601 date and time with a zone>"} or {"lastUsedAt": null})`);
      }
      const { lastUsedAt } = read.data;
      if (lastUsedAt === null) return { answered: true, query, value: 'null', at, lastUsedAt: null };
      return { answered: true, query, value: lastUsedAt, at, lastUsedAt: new Date(lastUsedAt) };
    },
    explain: () => `${label}: GET ${originAndPath(config.url)} for the last use`,
  };
}
