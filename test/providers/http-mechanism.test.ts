// Pieces of the http issuer's mechanism the vendor presets lean on, alone: optional placeholders
// (Cloudflare's full-replace update sends back only what the token has), and page paging that stops
// at a short page or at the count the vendor gives.
import { describe, expect, it } from 'vitest';
import type { Call, Paging } from '../../src/providers/issuers/http/calls-schema.js';
import { allPages } from '../../src/providers/issuers/http/paging.js';
import type { Reply, Requester } from '../../src/providers/issuers/http/request.js';
import { fillJson, fillText } from '../../src/providers/issuers/http/template.js';

describe('optional placeholders', () => {
  const item = { name: 'keyrot-dns-1', policies: [{ id: 'p1' }], expires_on: '2030-01-01T00:00:00Z' };
  const body = { name: '{{item.name}}', policies: '{{item.policies}}', status: 'disabled', condition: '{{item.condition?}}', expires_on: '{{item.expires_on?}}' };

  it('a field that is exactly an optional placeholder is left out when the key has no such value, and kept with its type when it has', () => {
    expect(fillJson(body, { item })).toEqual({ name: 'keyrot-dns-1', policies: [{ id: 'p1' }], status: 'disabled', expires_on: '2030-01-01T00:00:00Z' });
    expect(fillJson(['{{item.condition?}}', 'x'], { item })).toEqual(['x']);
  });

  it('in text an optional placeholder with no value is empty; a required one stays as written', () => {
    expect(fillText('a{{item.condition?}}b{{missing}}', { item })).toBe('ab{{missing}}');
  });
});

describe('page paging', () => {
  /** A vendor with `keys`, answering pages of `items` and, if asked, the total count. */
  const vendor = (keys: number, withTotal: boolean) => {
    const asked: Record<string, string>[] = [];
    const req: Requester = {
      async call(_name, _spec, _vars, options = {}): Promise<Reply> {
        asked.push(options.query ?? {});
        const page = Number(options.query?.page);
        const size = Number(options.query?.per_page);
        const items = Array.from({ length: Math.max(0, Math.min(size, keys - (page - 1) * size)) }, (_, i) => ({ id: `k${(page - 1) * size + i}` }));
        return { status: 200, json: { result: items, ...(withTotal ? { info: { total: keys } } : {}) }, shape: '' };
      },
      describe: () => 'GET /keys',
      resolve: (link) => new URL(link, 'http://127.0.0.1/'),
    };
    return { req, asked };
  };
  const spec = (totalItemsPath?: string): Call & { paging: Paging; itemsPath: string } => ({
    method: 'GET', path: '/keys', encoding: 'json', itemsPath: '$.result',
    paging: { style: 'page', pageParam: 'page', sizeParam: 'per_page', size: 50, first: 1, ...(totalItemsPath ? { totalItemsPath } : {}) },
  });

  it('without a count, a short page is the last', async () => {
    const { req, asked } = vendor(120, false);
    expect(await allPages(req, spec(), {}, 'Vendor')).toHaveLength(3);
    expect(asked.map((q) => q.page)).toEqual(['1', '2', '3']);
  });

  it('with the total count, a last page that is full is not followed by an empty one', async () => {
    const { req, asked } = vendor(100, true);
    expect(await allPages(req, spec('$.info.total'), {}, 'Vendor')).toHaveLength(2);
    expect(asked).toHaveLength(2);
  });
});
