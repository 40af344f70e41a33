// SendGrid API keys (v3). The key id is api_key_id; the secret (SG.<id>.<secret>) is in the create
// answer only, and a key created without scopes has full access, so the plan names the scopes. The
// list has no paging (at most 100 keys an account) and no creation time. The admin key's own scopes
// are readable (GET /v3/scopes), so doctor checks them.
import type { Preset } from './preset.js';

export const sendgrid: Preset = {
  name: 'sendgrid',
  vendor: 'SendGrid',
  summary: 'a SendGrid API key with the scopes the plan names',
  docs: 'https://www.twilio.com/docs/sendgrid/api-reference/api-keys',
  values: {
    scopes: { describe: 'the new key\'s scopes (least privilege; without any, SendGrid grants full access)', example: ['mail.send'] },
  },
  permissions: [
    'an API key with the scopes api_keys.create, api_keys.read, api_keys.delete',
  ],
  source: {
    maxKeys: 2,
    rateLimitHeader: { name: 'X-RateLimit-Reset', format: 'epoch-seconds' },
    calls: {
      create: {
        method: 'POST',
        path: '/v3/api_keys',
        body: { name: '{{name}}', scopes: '{{scopes}}' },
        idPath: '$.api_key_id',
        secretPath: '$.api_key',
        vendorLimit: { on: [403], max: 100, says: 'SendGrid allows 100 API keys an account' },
      },
      list: { method: 'GET', path: '/v3/api_keys', itemsPath: '$.result', idPath: '$.api_key_id', namePath: '$.name' },
      delete: { method: 'DELETE', path: '/v3/api_keys/{{keyId}}' },
      verify: { method: 'GET', path: '/v3/scopes', auth: { type: 'bearer' } },
      doctor: [
        {
          check: 'permissions', method: 'GET', path: '/v3/scopes',
          proves: 'the admin key holds api_keys.create, api_keys.read and api_keys.delete',
          expect: [{ path: '$.scopes[*]', includes: ['api_keys.create', 'api_keys.read', 'api_keys.delete'] }],
        },
      ],
    },
  },
  example: { baseUrl: 'https://api.sendgrid.com', auth: { type: 'bearer', tokenEnv: 'SENDGRID_API_KEY' } },
};
