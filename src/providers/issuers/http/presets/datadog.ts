// Datadog API keys (v2 Key Management). The key's id is its UUID; the secret (32 hex digits) is in
// the create answer only. The admin credential is two headers: any API key of the org (itself one of
// the listed keys: keyrot never deletes the one it sends) and an application key scoped to the
// api_keys permissions. Datadog answers 403, never 401, for a bad or revoked credential.
import type { Preset } from './preset.js';

export const datadog: Preset = {
  name: 'datadog',
  vendor: 'Datadog',
  summary: 'a Datadog API key of the organization',
  docs: 'https://docs.datadoghq.com/api/latest/key-management/',
  values: {},
  permissions: [
    'an application key scoped to api_keys_read, api_keys_write, api_keys_delete (DD_APP_KEY)',
    'and any API key of the organization (DD_API_KEY): not a key this plan rotates',
  ],
  source: {
    maxKeys: 2,
    keyName: 'keyrot-{{plan}}-{{now}}-{{nonce}}', // Datadog refuses a second key of the same name
    forbiddenMeans: 'bad-credential-or-no-permission',
    rateLimitHeader: { name: 'X-RateLimit-Reset', format: 'seconds' },
    calls: {
      create: {
        method: 'POST',
        path: '/api/v2/api_keys',
        body: { data: { type: 'api_keys', attributes: { name: '{{name}}' } } },
        idPath: '$.data.id',
        secretPath: '$.data.attributes.key',
        createdPath: '$.data.attributes.created_at',
        vendorLimit: { on: [400], max: 50, says: 'Datadog allows 50 API keys in an organization' },
      },
      list: {
        method: 'GET',
        path: '/api/v2/api_keys',
        itemsPath: '$.data',
        idPath: '$.id',
        namePath: '$.attributes.name',
        createdPath: '$.attributes.created_at',
        lastUsedPath: '$.attributes.date_last_used',
        paging: { style: 'page', pageParam: 'page[number]', sizeParam: 'page[size]', size: 100, first: 0, totalItemsPath: '$.meta.page.total_filtered_count' },
      },
      delete: { method: 'DELETE', path: '/api/v2/api_keys/{{keyId}}' },
      verify: { method: 'GET', path: '/api/v1/validate', auth: { type: 'header', name: 'DD-API-KEY' }, expect: { path: '$.valid', equals: [true] } },
      doctor: [
        { check: 'credentials', method: 'GET', path: '/api/v1/validate', proves: 'Datadog accepts the admin API key (DD-API-KEY)', expect: [] },
      ],
    },
  },
  example: {
    baseUrl: 'https://api.datadoghq.com',
    auth: { type: 'headers', headersFromEnv: { 'DD-API-KEY': 'DD_API_KEY', 'DD-APPLICATION-KEY': 'DD_APP_KEY' } },
  },
};
